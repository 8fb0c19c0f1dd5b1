using Xunit;

namespace Flow.Backends.Dpdk.Tests;

/// <summary>
/// Every DPDK test: one EAL per process, shared by all of them (DPDK starts once per process),
/// and namespaces and veths made by some: one test at a time.
/// </summary>
[CollectionDefinition(nameof(DpdkCollection), DisableParallelization = true)]
public sealed class DpdkCollection
{
}
