using Flow.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Flow.Hosting.Tests;

public sealed class FlowHostedServiceTests
{
    [Fact]
    public async Task GraphFileRunsAsAHostedServiceAndStopsTheAppWhenDone()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "GraphFiles", "ok_two_workers_ring.json");
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddFlowGraph(path, options => options.StopApplicationWhenDone = true);
        using IHost host = builder.Build();

        FlowHostedService service = host.Services.GetRequiredKeyedService<FlowHostedService>("ok_two_workers_ring");

        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await host.WaitForShutdownAsync().WaitAsync(TimeSpan.FromSeconds(60));

        GraphStats stats = service.Graph!.GetStats();
        Assert.True(stats.IsBalanced);
        Assert.Equal(5000, stats.Stage("sink").Consumed);
    }

    [Fact]
    public async Task GraphFileParametersAreOverriddenFromTheHostOptions()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "GraphFiles", "ok_parameters.json");
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddFlowGraph(path, options =>
        {
            options.StopApplicationWhenDone = true;
            options.Parameters["count"] = "300";
            options.Parameters["sink_name"] = "count_sink";
            options.Parameters["edges"] = """["gen -> count", "count -> sink"]""";
        });
        using IHost host = builder.Build();
        FlowHostedService service = host.Services.GetRequiredKeyedService<FlowHostedService>("ok_parameters");

        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await host.WaitForShutdownAsync().WaitAsync(TimeSpan.FromSeconds(60));

        GraphStats stats = service.Graph!.GetStats();
        Assert.True(stats.IsBalanced);
        Assert.Equal(300, stats.Stage("count").In);
        Assert.Equal(300, host.Services.GetRequiredService<FlowChannels>().Reader("ok_parameters_n300").Count);
    }

    [Fact]
    public async Task CodeBuiltGraphRunsUntilTheHostStopsAndDrains()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddFlowGraph(_ => new GraphBuilder()
            .Worker(0, idle: IdlePolicy.SpinThenSleep())
            .Add("gen", new Generator(new GeneratorOptions { RatePps = 100_000 }))
            .Add("count", new Counter())
            .Add("sink", new NullSink())
            .Connect("gen", "count")
            .Connect("count", "sink"), options => options.Name = "code");
        using IHost host = builder.Build();
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        FlowHostedService service = host.Services.GetRequiredKeyedService<FlowHostedService>("code");
        FlowGraph graph = service.Graph!;
        await Waits.TryUntil(() => graph.GetStats().Stage("sink").Consumed >= 1000);

        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(GraphState.Stopped, graph.State);
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced);
        Assert.True(stats.Stage("sink").Consumed >= 1000);
        Assert.Equal(stats.Stage("gen").OutTotal, stats.Stage("sink").Consumed);
    }

    [Fact]
    public async Task BadGraphFileFailsTheHostStartWithEveryError()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "GraphFiles", "err_unknown_config_key.json");
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddFlowGraph(path);
        using IHost host = builder.Build();

        var e = await Assert.ThrowsAsync<GraphFileException>(() => host.StartAsync());

        Assert.Equal(2, e.Errors.Count);
        Assert.Equal("$.stages.gen.config.packet_size", e.Errors[0].JsonPath);
    }
}
