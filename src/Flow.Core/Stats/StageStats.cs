namespace Flow;

/// <summary>
/// One stage's counters. Conservation: <c>In + Emitted = Out + Dropped + Consumed + Queued</c>,
/// where Emitted counts extra packets the stage made (flood copies) and Consumed the packets it
/// took ownership of (transmitted, freed by a sink, held for later). Exact when the graph is
/// stopped; a snapshot of a running graph may straddle a batch.
/// </summary>
public sealed record StageStats(
    string Name,
    string Type,
    int Worker,
    long In,
    long Emitted,
    long Consumed,
    long Queued,
    long Batches,
    double NanosecondsPerPacket,
    IReadOnlyList<PortCount> Out,
    IReadOnlyList<DropCount> Drops,
    BurstHistogram? Bursts = null)
{
    /// <summary>Sampled cost per packet in CPU cycles (<see cref="NanosecondsPerPacket"/> × <see cref="CpuClock.GigaHertz"/>).</summary>
    public double CyclesPerPacket => NanosecondsPerPacket * CpuClock.GigaHertz;

    public long OutTotal => Out.Sum(p => p.Packets);

    public long DroppedTotal => Drops.Sum(d => d.Packets);

    public long OutOn(string port) => Out.FirstOrDefault(p => p.Port == port).Packets;

    public long DroppedFor(string reason) => Drops.FirstOrDefault(d => d.Reason == reason).Packets;

    public bool IsBalanced => In + Emitted == OutTotal + DroppedTotal + Consumed + Queued;
}
