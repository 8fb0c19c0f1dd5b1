namespace Flow;

/// <summary>
/// One stage's counters. Conservation: <c>In + Emitted = Out + Dropped + Consumed + Queued</c>,
/// where Emitted counts extra packets the stage made (flood copies) and Consumed the packets it
/// took ownership of (transmitted, freed by a sink, held for later). Exact when the graph is
/// stopped; a snapshot of a running graph may straddle a batch.
/// </summary>
/// <remarks>
/// <see cref="NanosecondsPerPacket"/> is null until enough batches were timed to mean something
/// (8 sampled batches, skipping any in which the JIT compiled code); views show it as "–", JSON and Prometheus leave it out.
/// A stage that <see cref="Transmits"/> calls what it consumed <see cref="Sent"/>.
/// </remarks>
public sealed record StageStats(
    string Name,
    string Type,
    int Worker,
    long In,
    long Emitted,
    long Consumed,
    long Queued,
    long Batches,
    double? NanosecondsPerPacket,
    IReadOnlyList<PortCount> Out,
    IReadOnlyList<DropCount> Drops,
    BurstHistogram? Bursts = null,
    bool Transmits = false)
{
    /// <summary>Sampled cost per packet in CPU cycles (<see cref="NanosecondsPerPacket"/> × <see cref="CpuClock.GigaHertz"/>); null when either is unknown.</summary>
    public double? CyclesPerPacket => NanosecondsPerPacket is double ns && double.IsFinite(CpuClock.GigaHertz) ? ns * CpuClock.GigaHertz : null;

    /// <summary>Packets a transmitting stage handed to its device or file (its <see cref="Consumed"/>); 0 for other stages.</summary>
    public long Sent => Transmits ? Consumed : 0;

    public long OutTotal => Out.Sum(p => p.Packets);

    public long DroppedTotal => Drops.Sum(d => d.Packets);

    public long OutOn(string port) => Out.FirstOrDefault(p => p.Port == port).Packets;

    public long DroppedFor(string reason) => Drops.FirstOrDefault(d => d.Reason == reason).Packets;

    public bool IsBalanced => In + Emitted == OutTotal + DroppedTotal + Consumed + Queued;
}
