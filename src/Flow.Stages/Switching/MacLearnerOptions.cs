namespace Flow.Stages.Switching;

/// <summary>Options of <see cref="MacLearner"/>.</summary>
public sealed record MacLearnerOptions
{
    /// <summary>Most entries (dynamic and static) the table holds.</summary>
    public int MaxEntries { get; init; } = 8192;

    /// <summary>
    /// A dynamic entry not refreshed by a frame for this long is removed (IEEE 802.1Q-2018
    /// 8.8.3, recommended 300 s). Zero: entries never age.
    /// </summary>
    public TimeSpan AgingTime { get; init; } = TimeSpan.FromSeconds(300);

    public MacTableOverflow Overflow { get; init; } = MacTableOverflow.KeepExisting;

    /// <summary>
    /// Most dynamic entries learned on one port (input-port id); a port at the limit learns no
    /// new address and takes no moved one (counted as <c>PortLimited</c>), so one host cannot
    /// fill the table for all. Zero: no limit.
    /// </summary>
    public int MaxEntriesPerPort { get; init; }

    /// <summary>Most dynamic entries of one VLAN (counted as <c>VlanLimited</c> when refused). Zero: no limit.</summary>
    public int MaxEntriesPerVlan { get; init; }
}
