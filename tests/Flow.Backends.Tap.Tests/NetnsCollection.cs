using Xunit;

namespace Flow.Backends.Tap.Tests;

[CollectionDefinition(nameof(NetnsCollection), DisableParallelization = true)]
public sealed class NetnsCollection
{
}
