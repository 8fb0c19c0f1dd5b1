using Flow.Stages.Dhcp;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Hosting.Tests.GraphFile;

/// <summary>
/// pipelines/router.json's <c>lan.dhcp_server.subnets</c> (pools for networks behind DHCP relay
/// agents) as <c>flow run --set</c> gives it: bound onto <c>dhcp_server</c>, and each mistake
/// reported at load with the file, position and JSON path of the value it is about.
/// </summary>
public sealed class RouterGraphFileDhcpTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flow-router-dhcp-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string RouterJson => Path.Combine(TestServices.RepositoryRoot, "pipelines", "router.json");

    private Dictionary<string, string> Parameters(string subnets) => new()
    {
        ["memif_socket"] = Path.Combine(_directory, "memif.sock"),
        ["lan.dhcp_server.enabled"] = "true",
        ["lan.dhcp_server.subnets"] = subnets,
    };

    [Fact]
    public async Task SubnetsGivenWithSetBecomeTheServersPoolsAfterLansOwn()
    {
        using ServiceProvider services = TestServices.CreateWithBackends();
        await using FlowGraph graph = services.GetRequiredService<GraphFileLoader>().Load(RouterJson, Parameters(
            """[{"network": "10.9.0.0/24", "range": "10.9.0.100-10.9.0.199"}, {"network": "10.20.0.0/16", "range": "10.20.1.1-10.20.1.50", "router": "10.20.0.1", "lease_time": "00:30:00", "dns": ["10.20.0.53"]}]"""));

        IReadOnlyList<DhcpPoolStatus> pools = graph.GetStage<DhcpServer>("dhcp_server").GetPools();

        Assert.Equal(
        [
            "192.168.1.0/24 192.168.1.100-192.168.1.199 192.168.1.1 3600 100",
            "10.9.0.0/24 10.9.0.100-10.9.0.199 giaddr 3600 100",
            "10.20.0.0/16 10.20.1.1-10.20.1.50 10.20.0.1 1800 50",
        ], pools.Select(p => $"{p.Network} {p.Range} {p.Router} {p.LeaseSeconds} {p.Size}"));
        Assert.Equal(["10.20.0.53"], pools[2].Dns);
    }

    [Fact]
    public void ABadSubnetIsReportedAtItsValueWithEveryOtherProblem()
    {
        using ServiceProvider services = TestServices.CreateWithBackends();
        var e = Assert.Throws<GraphFileException>(() => services.GetRequiredService<GraphFileLoader>().Load(RouterJson, Parameters(
            """[{"network": "192.168.1.128/25", "range": "192.168.1.130-192.168.1.140"}, {"network": "10.9.0.0/24", "range": "10.9.1.1-10.9.1.9"}, {"range": "10.10.0.1-10.10.0.9"}]""")));

        string errors = string.Join("\n", e.Errors.Select(x => x.Message));
        Assert.Contains("Subnets[0].Network 192.168.1.128/25 overlaps lan's network 192.168.1.0/24", errors, StringComparison.Ordinal);
        Assert.Contains("Subnets[1].Range '10.9.1.1-10.9.1.9' is not an ascending range inside its network 10.9.0.0/24", errors, StringComparison.Ordinal);
        Assert.Contains("missing config key 'network'", errors, StringComparison.Ordinal);
        Assert.All(e.Errors, error => Assert.Contains("subnets", error.JsonPath, StringComparison.Ordinal));
        Assert.Equal(3, e.Errors.Count);
    }
}
