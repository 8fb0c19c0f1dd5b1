namespace Flow;

/// <summary>
/// One cross-worker ring. Conservation: <c>Offered = Enqueued + Dropped</c> and
/// <c>Enqueued = Dequeued + Occupancy</c>; drops are <c>ring_full</c>.
/// </summary>
public sealed record RingStats(
    string Name,
    string From,
    string To,
    int Capacity,
    long Occupancy,
    long Enqueued,
    long Dequeued,
    long Dropped)
{
    public bool IsBalanced => Enqueued == Dequeued + Occupancy;
}
