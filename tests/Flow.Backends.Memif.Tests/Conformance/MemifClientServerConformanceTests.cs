using Xunit;

namespace Flow.Backends.Memif.Tests.Conformance;

/// <summary>memif conformance with A the client and B the server (the server goes away and comes back).</summary>
[Collection(nameof(MemifCollection))]
public sealed class MemifClientServerConformanceTests() : MemifConformanceTests(MemifRole.Client);
