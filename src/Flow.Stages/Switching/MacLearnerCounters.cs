namespace Flow.Stages.Switching;

/// <summary>What the <see cref="MacLearner"/> did, since it started.</summary>
/// <param name="Entries">Entries in the table now.</param>
/// <param name="Learned">New addresses learned.</param>
/// <param name="Moves">Known addresses seen on another port and relearned there.</param>
/// <param name="StaticConflicts">Frames from a statically placed address arriving on another port (entry kept).</param>
/// <param name="Overflows">New addresses not learned because the table (or the address's bucket) was full.</param>
/// <param name="Evictions">Entries evicted to learn a new address (<see cref="MacTableOverflow.ReplaceOldest"/>).</param>
/// <param name="Aged">Dynamic entries removed by aging.</param>
/// <param name="Hits">Destination lookups that found a port.</param>
/// <param name="Misses">Unicast destination lookups that found nothing (the frame floods).</param>
/// <param name="PortLimited">Addresses not learned (or not moved) because their port had <see cref="MacLearnerOptions.MaxEntriesPerPort"/> entries.</param>
/// <param name="VlanLimited">Addresses not learned because their VLAN had <see cref="MacLearnerOptions.MaxEntriesPerVlan"/> entries.</param>
public sealed record MacLearnerCounters(int Entries, long Learned, long Moves, long StaticConflicts, long Overflows, long Evictions,
    long Aged, long Hits, long Misses, long PortLimited, long VlanLimited);
