using System.Runtime.InteropServices;
using Flow.Internal;

namespace Flow;

/// <summary>
/// The producer's and the consumer's state of an <see cref="SpscRing{T}"/>, each alone on its
/// own cache line with a line of padding before, between and after (so a neighbouring
/// object's hot fields cannot share a line either).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 4 * CacheLine.Size)]
internal struct RingIndexes
{
    [FieldOffset(CacheLine.Size)] public ProducerState Producer;
    [FieldOffset(2 * CacheLine.Size)] public ConsumerState Consumer;
}

/// <summary>Written only by the producer; <see cref="Index"/> is read by the consumer.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ProducerState
{
    /// <summary>Next position to publish; read by the consumer (Volatile).</summary>
    public long Index;
    /// <summary>The producer's own copy of the consumer's index.</summary>
    public long CachedConsumer;
}

/// <summary>Written only by the consumer; <see cref="Index"/> is read by the producer.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ConsumerState
{
    /// <summary>Next position to read; read by the producer (Volatile).</summary>
    public long Index;
    /// <summary>The consumer's own copy of the producer's index.</summary>
    public long CachedProducer;
}
