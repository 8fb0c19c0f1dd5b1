namespace Flow.Backends.Memif.Internal;

/// <summary>What became of a descriptor chain copied into one jumbo frame.</summary>
internal enum ChainCopy : byte
{
    Copied,
    InvalidDescriptor,
    TooLong,
    PoolEmpty,
}
