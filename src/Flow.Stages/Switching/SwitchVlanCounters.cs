namespace Flow.Stages.Switching;

/// <summary>One VLAN's counters (only VLANs that saw traffic are listed).</summary>
/// <param name="Vlan">The VLAN id.</param>
/// <param name="Received">Frames classified into the VLAN.</param>
/// <param name="Unicast">Frames forwarded to the one port their destination was learned on.</param>
/// <param name="Flooded">Frames flooded (unknown unicast, broadcast, multicast): each counted once.</param>
/// <param name="FloodCopies">Copies made for flooding (a flood to n ports makes n − 1).</param>
/// <param name="Dropped">Frames of the VLAN the forwarder dropped.</param>
public sealed record SwitchVlanCounters(ushort Vlan, long Received, long Unicast, long Flooded, long FloodCopies, long Dropped)
{
    public SwitchVlanCounters Add(SwitchVlanCounters other) => this with
    {
        Received = Received + other.Received,
        Unicast = Unicast + other.Unicast,
        Flooded = Flooded + other.Flooded,
        FloodCopies = FloodCopies + other.FloodCopies,
        Dropped = Dropped + other.Dropped,
    };
}
