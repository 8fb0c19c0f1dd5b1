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
/// <param name="HandedOff">A shard's copy: new or moved addresses handed to the copy that writes the table.</param>
/// <param name="HandOffsDropped">A shard's copy: addresses not handed over because its ring to the writer was full (the next frame from the address asks again).</param>
public sealed record MacLearnerCounters(int Entries, long Learned, long Moves, long StaticConflicts, long Overflows, long Evictions,
    long Aged, long Hits, long Misses, long PortLimited, long VlanLimited, long HandedOff = 0, long HandOffsDropped = 0)
{
    /// <summary>The counters of two copies of one sharded learner, added.</summary>
    public MacLearnerCounters Add(MacLearnerCounters other) => new(Entries + other.Entries, Learned + other.Learned, Moves + other.Moves,
        StaticConflicts + other.StaticConflicts, Overflows + other.Overflows, Evictions + other.Evictions, Aged + other.Aged, Hits + other.Hits,
        Misses + other.Misses, PortLimited + other.PortLimited, VlanLimited + other.VlanLimited, HandedOff + other.HandedOff,
        HandOffsDropped + other.HandOffsDropped);
}
