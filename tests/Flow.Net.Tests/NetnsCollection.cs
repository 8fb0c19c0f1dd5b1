using Xunit;

namespace Flow.Net.Tests;

/// <summary>Tests that make namespaces and veths and run real Linux peers: one at a time.</summary>
[CollectionDefinition(nameof(NetnsCollection), DisableParallelization = true)]
public sealed class NetnsCollection
{
}
