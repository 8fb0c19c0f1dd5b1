using Xunit;

namespace Flow.Backends.Pcap.Tests;

/// <summary>Graph tests run workers flat out; one at a time on two cores.</summary>
[CollectionDefinition(nameof(PcapCollection), DisableParallelization = true)]
public sealed class PcapCollection
{
}
