namespace Flow;

/// <summary>
/// Passes packets through unchanged and counts packets and bytes.
/// Output <c>out</c>: every packet.
/// </summary>
[Stage("counter", "Passes packets on unchanged, counting packets and bytes.")]
public sealed class Counter : Stage<Counter.Output, NoDrop>
{
    // Written by the worker, read by any thread through Packets/Bytes.
    private long _packets;
    private long _bytes;

    public enum Output : byte
    {
        [Port(typeof(Carries.SameAsInput), "every packet, unchanged")]
        Out,
    }

    public long Packets => Volatile.Read(ref _packets);

    public long Bytes => Volatile.Read(ref _bytes);

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        long bytes = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            bytes += packets[i].Length;
        }
        nexts.Slice(0, packets.Length).Fill(To(Output.Out));
        Volatile.Write(ref _packets, _packets + packets.Length);
        Volatile.Write(ref _bytes, _bytes + bytes);
    }
}
