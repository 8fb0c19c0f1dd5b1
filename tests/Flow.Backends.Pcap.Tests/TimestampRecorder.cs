namespace Flow.Backends.Pcap.Tests;

/// <summary>Pass-through test stage recording each packet's metadata timestamp.</summary>
[Stage("timestamp_recorder", "Test stage recording PacketMeta.Timestamp.")]
public sealed class TimestampRecorder(List<long> timestamps) : Stage<TimestampRecorder.Output, NoDrop>
{
    public enum Output : byte
    {
        [Port(typeof(Carries.SameAsInput), "every packet")]
        Out,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        for (int i = 0; i < packets.Length; i++)
        {
            timestamps.Add(packets[i].Meta.Timestamp);
            nexts[i] = To(Output.Out);
        }
    }
}
