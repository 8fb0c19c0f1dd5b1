using Flow.Backends.Loop;
using Flow.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Hosting.Tests;

/// <summary><c>port_rx</c>/<c>port_tx</c>: a port whose backend is a config value, resolved to that backend's own stages.</summary>
public sealed class PortStageTypesTests
{
    // Two ports on one loop wire: what leaves a's tx arrives at b's rx.
    private const string Wired = """
        {
          "parameters": {
            "backend": "loop",
            "a": { "backend": "${backend}", "loop": { "wire": "w-${wire}", "end": "a" }, "memif": { "socket": "/x", "interface_id": 9 } },
            "b": { "backend": "${backend}", "loop": { "wire": "w-${wire}", "end": "b" } },
            "wire": "1"
          },
          "stages": {
            "gen":  { "type": "generator", "config": { "count": 100 } },
            "a_tx": { "type": "port_tx", "config": "${a}" },
            "b_rx": { "type": "port_rx", "config": "${b}" },
            "sink": { "type": "null_sink" }
          },
          "edges": ["gen -> a_tx", "b_rx -> sink"]
        }
        """;

    [Fact]
    public void PortTypesBecomeTheChosenBackendsStages()
    {
        using FlowGraph graph = Load(Wired, ("wire", Guid.NewGuid().ToString("N")));
        Assert.Equal("loop_tx", graph.Stages.Single(s => s.Name == "a_tx").Type);
        Assert.Equal("loop_rx", graph.Stages.Single(s => s.Name == "b_rx").Type);
        Assert.IsType<LoopRx>(graph.GetStage<LoopRx>("b_rx"));
    }

    [Fact]
    public async Task FramesCrossTheResolvedPortsBalanced()
    {
        await using FlowGraph graph = Load(Wired, ("wire", Guid.NewGuid().ToString("N")));
        graph.Start();
        await Waits.TryUntil(() => graph.GetStats().Stage("sink").Consumed >= 100);
        await graph.StopAsync(drain: true).WaitAsync(TimeSpan.FromSeconds(30));
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced);
        Assert.Equal(100, stats.Stage("sink").Consumed);
    }

    [Fact]
    public void UnknownBackendIsAnErrorListingTheKnownOnes()
    {
        GraphFileException e = Assert.Throws<GraphFileException>(() => Load(Wired, ("backend", "lop")));
        Assert.Contains(e.Errors, x => x.JsonPath == "$.stages.a_tx.config.backend" &&
            x.Message == "stage type 'port_tx': unknown backend 'lop' (did you mean 'loop'?); expected one of: loop, memif, null");
    }

    [Fact]
    public void KeysTheChosenBackendLacksAreErrorsOfThatBackend()
    {
        GraphFileException e = Assert.Throws<GraphFileException>(() => Load(Wired, ("a.speed", "10")));
        Assert.Contains(e.Errors, x => x.Message.StartsWith("unknown config key 'speed' for stage type 'loop_tx'", StringComparison.Ordinal));
    }

    [Fact]
    public void MissingBackendIsAnError()
    {
        GraphFileException e = Assert.Throws<GraphFileException>(() => Load("""
            { "stages": { "rx": { "type": "port_rx", "config": { "wire": "x" } }, "sink": { "type": "null_sink" } }, "edges": ["rx -> sink"] }
            """));
        Assert.Contains(e.Errors, x => x.Message == "stage type 'port_rx': expected 'backend' naming a backend (one of: loop, memif, null)");
    }

    [Fact]
    public void InterfaceNamesAMemifPort()
    {
        using FlowGraph graph = Load("""
            {
              "stages": {
                "rx": { "type": "port_rx", "config": { "backend": "memif", "interface": "sw-p1", "socket": "/run/flow-test-${id}.sock" } },
                "sink": { "type": "null_sink" }
              },
              "edges": ["rx -> sink"],
              "parameters": { "id": "0" }
            }
            """, ("id", Guid.NewGuid().ToString("N")));
        Assert.Equal("memif_rx", graph.Stages.Single(s => s.Name == "rx").Type);
    }

    private static FlowGraph Load(string json, params (string Name, string Value)[] overrides)
    {
        using ServiceProvider services = TestServices.CreateWithBackends();
        return services.GetRequiredService<GraphFileLoader>().LoadText(json, "test.json", null,
            overrides.ToDictionary(o => o.Name, o => o.Value, StringComparer.Ordinal));
    }
}
