using Xunit;

namespace Flow.Cli.Tests;

/// <summary>The samples under samples/ run for a few seconds and print what they should.</summary>
public sealed class SamplesTests
{
    /// <summary>samples/&lt;name&gt;/bin/&lt;configuration&gt;/net10.0/&lt;name&gt;.dll, same configuration as these tests.</summary>
    private static string SampleDll(string name)
    {
        string framework = Path.GetFileName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)))!;
        return Path.Combine(FlowProcess.RepositoryRoot, "samples", name, "bin", configuration, framework, name + ".dll");
    }

    [Fact]
    public async Task HostedJsonGraphRunsItsOwnStageFromJsonAndReadsTheChannel()
    {
        using FlowProcess sample = FlowProcess.StartDll(SampleDll("HostedJsonGraph"));
        int code = await sample.WaitForExitAsync(120);

        Assert.True(code == 0, sample.Stderr);
        Assert.Equal(
            "classify: in 32000, small 30000, large 2000, runt 0\n" +
            "count: 30000 frames to null_sink\n" +
            "app: 2000 large frames, 3000000 bytes, consumer_slow drops 0\n" +
            "conservation: holds\n",
            sample.Stdout);
    }

    [Fact]
    public async Task HostedJsonGraphFileValidatesWithTheFlowCommandWhenItsAssemblyIsAllowed()
    {
        string graph = Path.Combine(Path.GetDirectoryName(SampleDll("HostedJsonGraph"))!, "graph.json");
        (int refusedCode, _, string refused) = await FlowProcess.RunAsync(60, "validate", graph);
        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(60, "validate", "--allow-assemblies", graph);
        Assert.Equal(4, refusedCode);
        Assert.Contains("refusing to load 'assemblies'", refused);
        Assert.True(code == 0, stderr);
        Assert.Equal($"{graph}: valid (6 stages, 5 edges, 1 worker)\n", stdout);
    }

    [Fact]
    public async Task HostedJsonGraphFileRunsWithTheFlowCommandAndCountsPerPort()
    {
        string graph = Path.Combine(Path.GetDirectoryName(SampleDll("HostedJsonGraph"))!, "graph.json");
        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(60, "run", graph);
        Assert.True(code == 0, stderr);
        Assert.Matches(@"final stage=classify type=size_classifier in=32000 out=32000 dropped=0 consumed=0 queued=0 ns_per_packet=[\d.]+ cycles_per_packet=\d+ out.small=30000 out.large=2000\n", stdout);
        Assert.EndsWith("final balanced=true\n", stdout);
    }

    [Fact]
    public async Task GeneratorDemoRunsOneSecondAndConservationHolds()
    {
        using FlowProcess sample = FlowProcess.StartDll(SampleDll("GeneratorDemo"), "1");
        int code = await sample.WaitForExitAsync(120);

        Assert.True(code == 0, sample.Stderr);
        Assert.StartsWith("Flow demo: generator -> ttl_filter -> counter -> null_sink", sample.Stdout);
        Assert.Contains("t=1s", sample.Stdout);
        Assert.Contains("conservation holds for every stage", sample.Stdout);
    }
}
