using Xunit;

namespace Flow.Core.Tests;

/// <summary>Tests that run threads flat out or pin cores; they run one at a time so they do not starve each other on two cores.</summary>
[CollectionDefinition(nameof(CoreBoundCollection), DisableParallelization = true)]
public sealed class CoreBoundCollection
{
}
