namespace Flow.Backends.Pcap.Tests;

/// <summary>Pass-through test stage recording each packet's <see cref="PacketMeta.InputPort"/>.</summary>
[Stage("input_port_recorder", "Test stage recording PacketMeta.InputPort.")]
public sealed class InputPortRecorder(List<ushort> ports) : Stage<InputPortRecorder.Output, NoDrop>
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
            ports.Add(packets[i].Meta.InputPort);
            nexts[i] = To(Output.Out);
        }
    }
}
