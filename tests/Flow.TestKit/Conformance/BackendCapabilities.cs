namespace Flow.TestKit.Conformance;

/// <summary>What a backend's leaf of the conformance suite declares it supports; the suite tests exactly that.</summary>
public sealed record BackendCapabilities
{
    /// <summary>Shortest frame the backend carries (60 = Ethernet's minimum without FCS).</summary>
    public int MinFrame { get; init; } = 60;

    /// <summary>Longest frame at the standard MTU (1500 + the 14-byte header).</summary>
    public int MaxFrame { get; init; } = 1514;

    /// <summary>Longest frame with jumbo frames; 0 when the backend has none.</summary>
    public int JumboFrame { get; init; }

    /// <summary>Queue pairs, each carrying its own flow.</summary>
    public int Queues { get; init; } = 1;

    /// <summary>Both ends send and receive (false for a file: one end writes, the other reads).</summary>
    public bool BothWays { get; init; } = true;

    /// <summary>The receiving end can read only once the sending end has finished and closed (a file).</summary>
    public bool StoreAndForward { get; init; }

    /// <summary>
    /// Frames in flight per queue the receiving path absorbs without loss while its graph keeps
    /// up (the smallest ring or socket buffer on the way); 0 = unbounded (a file).
    /// </summary>
    public int Window { get; init; } = 128;

    /// <summary>The longest frame the suite sends: jumbo where supported.</summary>
    public int LargestFrame => JumboFrame > 0 ? JumboFrame : MaxFrame;
}
