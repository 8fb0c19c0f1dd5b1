namespace Flow.Stages.Arp;

/// <summary>
/// Counters of the <c>arp</c> stage: replies sent, ARP packets learned from and neighbours they
/// created, address conflicts, neighbours refused for a full table, requests and gratuitous
/// ARPs sent, requests skipped for an empty pool, neighbours failed and forgotten by ageing.
/// </summary>
public sealed record ArpCounters(long Replies, long Learned, long Created, long AddressConflicts, long TableFull, long RequestsSent,
    long GratuitousSent, long PoolEmpty, long Failed, long Aged);
