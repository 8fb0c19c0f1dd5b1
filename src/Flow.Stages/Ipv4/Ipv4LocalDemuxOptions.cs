namespace Flow.Stages.Ipv4;

/// <summary>Options of <see cref="Ipv4LocalDemux"/>.</summary>
public sealed record Ipv4LocalDemuxOptions
{
    /// <summary>
    /// UDP ports the router serves (67 once the DHCP server runs); datagrams to them leave on
    /// <c>udp</c>, to any other port they are refused with port unreachable.
    /// </summary>
    public IReadOnlyList<ushort> UdpPorts { get; init; } = [];

    /// <summary>
    /// Every UDP datagram leaves on <c>udp</c>, whatever its port (a host's UDP stack, which
    /// answers unserved ports itself); <see cref="UdpPorts"/> is then unused.
    /// </summary>
    public bool AllUdp { get; init; }

    /// <summary>
    /// TCP segments leave on a fourth output, <c>tcp</c> (a host's TCP); without it they are
    /// refused with port unreachable, as a router with no TCP of its own does.
    /// </summary>
    public bool Tcp { get; init; }
}
