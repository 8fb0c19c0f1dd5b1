using Xunit;

namespace Flow.Backends.Memif.Tests.Conformance;

/// <summary>memif conformance with A the server and B the client (the client goes away and comes back).</summary>
[Collection(nameof(MemifCollection))]
public sealed class MemifServerClientConformanceTests() : MemifConformanceTests(MemifRole.Server);
