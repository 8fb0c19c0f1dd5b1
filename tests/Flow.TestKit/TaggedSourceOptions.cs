namespace Flow.TestKit;

/// <summary>Options of <see cref="TaggedSource"/>.</summary>
public sealed record TaggedSourceOptions
{
    /// <summary>Identity stamped into every packet.</summary>
    public uint SourceId { get; init; }

    public long Count { get; init; } = 1000;

    /// <summary>Frame length; at least <see cref="TaggedSource.TagLength"/> + 14.</summary>
    public int FrameSize { get; init; } = 64;

    public int PoolFrames { get; init; } = 4096;

    /// <summary>Packets per second, paced from the first poll; 0 = as fast as the worker goes.</summary>
    public long RatePps { get; init; }
}
