using Xunit;

namespace Flow.Backends.Memif.Tests;

/// <summary>memif tests start workers, peers and testpmd: one at a time on this 2-core machine.</summary>
[CollectionDefinition(nameof(MemifCollection), DisableParallelization = true)]
public sealed class MemifCollection
{
}
