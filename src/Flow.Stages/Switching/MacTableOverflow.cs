namespace Flow.Stages.Switching;

/// <summary>What the <see cref="MacLearner"/> does with a new address when its table is full.</summary>
public enum MacTableOverflow : byte
{
    /// <summary>Keep what is learned; the new address is not learned (counted as <c>overflow</c>) and frames to it flood.</summary>
    KeepExisting,

    /// <summary>
    /// Evict the least recently seen dynamic entry of the new address's bucket (counted as
    /// <c>evicted</c>), one learned on the new address's port if the bucket has any: a port
    /// that floods a bucket with addresses evicts its own first.
    /// </summary>
    ReplaceOldest,
}
