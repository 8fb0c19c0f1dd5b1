using Xunit;

namespace Flow.Backends.AfXdp.Tests;

/// <summary>Tests that make namespaces, veth pairs and XDP attachments run one at a time.</summary>
[CollectionDefinition(nameof(NetnsCollection), DisableParallelization = true)]
public sealed class NetnsCollection
{
}
