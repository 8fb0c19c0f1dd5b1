using Flow.Stages.Switching;

namespace Flow.Stages.Vlan;

/// <summary>Options of <see cref="VlanClassifier"/>.</summary>
public sealed record VlanClassifierOptions
{
    /// <summary>The switch's ports; the same list the <see cref="L2Forwarder"/> gets.</summary>
    public IReadOnlyList<SwitchPortOptions> Ports { get; init; } = [];

    /// <summary>
    /// Largest payload after the Ethernet header and tag (the IP MTU); longer frames are dropped
    /// as <c>oversize</c>. 1500: 1514-byte untagged and 1518-byte tagged frames (IEEE 802.3 3.2.7).
    /// </summary>
    public int Mtu { get; init; } = 1500;

    /// <summary>
    /// Shortest frame accepted (without FCS); shorter ones are <c>runt</c>. A wire switch uses 60,
    /// but veth and TAP carry unpadded frames (Linux sends a 42-byte ARP), so the default is
    /// the 14-byte Ethernet header.
    /// </summary>
    public int MinFrameLength { get; init; } = 14;
}
