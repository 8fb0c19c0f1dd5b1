using Flow.Stages;
using Flow.Stages.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Hosting.Tests;

/// <summary>
/// A router graph file for the router's graph-file and control-socket tests, with its
/// interfaces and routes as parameters the way pipelines/router.json gives them:
/// <code>
///  gen ─ classify ─ipv4→ input ─forward→ lookup ─forward→ forward ─time_exceeded→ icmp ─┐
///           └─arp───────────┴─local───────────┴─local, unreachable──┴─forwarded─────────┴─ sink
/// </code>
/// The generator's default frame (to 02:00:00:00:00:02, 10.0.0.2) arrives on lan, whose MAC
/// that is: it is routed on lan's connected network until a route says otherwise.
/// </summary>
internal static class RouterTestGraph
{
    public const string Json = """
        {
          "name": "router_test",
          "parameters": {
            "interfaces": [
              { "name": "lan", "id": 0, "mac": "02:00:00:00:00:02", "addresses": ["10.0.0.254/24"] },
              { "name": "wan", "id": 1, "mac": "02:00:00:00:02:01", "addresses": ["192.168.100.2/24"], "mtu": 1400 }
            ],
            "routes": [
              { "prefix": "0.0.0.0/0", "via": "192.168.100.1" },
              { "prefix": "198.51.100.0/24", "via": "192.168.100.1" },
              { "prefix": "198.51.100.0/24", "via": "192.168.100.3", "weight": 2 },
              { "prefix": "10.66.0.0/16", "blackhole": true },
              { "prefix": "10.77.0.0/16", "reject": true }
            ],
            "rate_pps": 2000
          },
          "workers": [ { "id": 0, "idle": "event", "timeout_ms": 5 } ],
          "stages": {
            "gen": { "type": "generator", "config": { "rate_pps": "${rate_pps}" } },
            "classify": { "type": "eth_classify", "config": { "interfaces": "${interfaces}" } },
            "input": { "type": "ipv4_input", "config": { "interfaces": "${interfaces}" } },
            "lookup": { "type": "ipv4_lookup", "config": { "interfaces": "${interfaces}", "routes": "${routes}" } },
            "forward": { "type": "ipv4_forward" },
            "icmp": { "type": "icmp_error", "config": { "interfaces": "${interfaces}", "global_per_second": 200 } },
            "sink": { "type": "null_sink" }
          },
          "edges": [
            "gen -> classify",
            "classify:ipv4 -> input", "classify:arp -> sink",
            "input:local -> sink", "input:forward -> lookup",
            "lookup:forward -> forward", "lookup:local -> sink", "lookup:unreachable -> sink",
            "forward:forwarded -> sink", "forward:time_exceeded -> icmp",
            "icmp -> sink"
          ]
        }
        """;

    /// <summary>Flow hosting with the router's stages and a route table of test size (64 second-level groups).</summary>
    public static ServiceProvider Services()
    {
        var services = new ServiceCollection();
        services.AddFlowHosting();
        services.AddSingleton(_ => new Ipv4RouteTable(new Ipv4RouteTableOptions { Fib = new Ipv4FibOptions { Tbl8Groups = 64 } }));
        services.AddFlowRouterStages();
        services.AddFlowRouting();
        return services.BuildServiceProvider();
    }
}
