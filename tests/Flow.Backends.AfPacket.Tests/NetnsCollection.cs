using Xunit;

namespace Flow.Backends.AfPacket.Tests;

/// <summary>Tests that make namespaces and veths and run real peers: one at a time.</summary>
[CollectionDefinition(nameof(NetnsCollection), DisableParallelization = true)]
public sealed class NetnsCollection
{
}
