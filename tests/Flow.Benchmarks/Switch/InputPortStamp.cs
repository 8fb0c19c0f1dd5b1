namespace Flow.Benchmarks.Switch;

/// <summary>
/// Writes a fixed switch-port id into <see cref="PacketMeta.InputPort"/>. The AF_XDP rx stage
/// stamps its queue index (0 on every single-queue port) and has no InputPort option yet, so
/// the veth benchmark puts one of these behind each AF_XDP rx.
/// </summary>
[Stage("input_port_stamp", "Benchmark helper: stamps a fixed input-port id.", Accepts = typeof(Carries.Ethernet))]
internal sealed class InputPortStamp : Stage<InputPortStamp.Output, NoDrop>
{
    private readonly ushort _port;

    public InputPortStamp(ushort port) => _port = port;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "the same frames, input port set")]
        Out,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        Next next = To(Output.Out);
        for (int i = 0; i < packets.Length; i++)
        {
            packets[i].Meta.InputPort = _port;
            nexts[i] = next;
        }
    }
}
