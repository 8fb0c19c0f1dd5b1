namespace Flow.Stages.Arp;

/// <summary>
/// Counters of the <c>arp_resolve</c> stage: packets sent to a resolved neighbour, held, sent
/// after being held, and sent to <c>unreachable</c>; and of its neighbour table: packets refused
/// by a full hold queue, held packets freed by a flush or removal, /32 routes added, removed
/// and skipped (an operator's route was there). A shard's reading copy counts what it sent and
/// what it handed to the owner (<c>HandedOff</c>); the table's counters are the owner's.
/// </summary>
public sealed record ArpResolverCounters(long Sent, long Held, long Released, long Unreachable, long HoldOverflows, long FlushedHeld,
    long HostRoutesAdded, long HostRoutesRemoved, long HostRoutesSkipped, long HandedOff = 0);
