namespace Flow.Stages.Ports;

/// <summary>
/// Writes a fixed <see cref="PacketMeta.InputPort"/> into every packet and passes it on. Put it
/// right after an rx stage whose backend cannot stamp the port itself (memif and AF_XDP rx stamp
/// their queue number): a switch's <c>vlan_classifier</c> tells ports apart by this value, so a
/// graph whose ports' backend is a config value (<c>port_rx</c>) stamps every port this way.
/// Output <c>out</c>: every packet, unchanged but for the field. Never drops.
/// </summary>
[Stage("input_port", "Stamps a fixed input port (PacketMeta.InputPort) on every packet: follows an rx whose backend does not.")]
public sealed class InputPortStamper : Stage<InputPortStamper.Output, NoDrop>
{
    private readonly ushort _port;

    public InputPortStamper(InputPortStamperOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _port = options.Port;
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.SameAsInput), "every packet, its input port set")]
        Out,
    }

    /// <summary>The input port this stage writes.</summary>
    public ushort Port => _port;

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        ushort port = _port;
        for (int i = 0; i < packets.Length; i++)
        {
            packets[i].Meta.InputPort = port;
        }
        nexts.Slice(0, packets.Length).Fill(To(Output.Out));
    }
}
