using Xunit;

namespace Flow.Backends.Loop.Tests;

/// <summary>Graph tests run workers flat out; one at a time on two cores.</summary>
[CollectionDefinition(nameof(LoopCollection), DisableParallelization = true)]
public sealed class LoopCollection
{
}
