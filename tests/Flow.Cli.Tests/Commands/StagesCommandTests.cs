using Xunit;

namespace Flow.Cli.Tests;

public sealed class StagesCommandTests
{
    [Fact]
    public async Task ListsBuiltInTypesWithPortsDropReasonsAndConfigKeys()
    {
        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(60, "stages");

        Assert.True(code == 0, stderr);
        foreach (string type in new[] { "generator", "null_sink", "counter", "drop", "channel_sink", "channel_source" })
        {
            Assert.Contains($"\n{type}  —  ", "\n" + stdout);
        }
        Assert.Contains("  port    out: ethernet — generated frames\n", stdout);
        Assert.Contains("  drop    consumer_slow (warning): the application did not read the channel fast enough; its queue was full\n", stdout);
        Assert.Contains("  config  frame_size: an integer; default 64\n", stdout);
        Assert.Contains("  config  channel: a string; required", stdout);
    }

    [Fact]
    public async Task ListsTheSwitchStagesAndThePortTypes()
    {
        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(60, "stages");

        Assert.True(code == 0, stderr);
        foreach (string type in new[] { "vlan_classifier", "mac_learner", "l2_forwarder", "vlan_tagger", "input_port" })
        {
            Assert.Contains($"\n{type}  —  ", "\n" + stdout);
        }
        Assert.Contains("\nport_rx, port_tx: a port whose backend is a config value", stdout);
    }

    [Fact]
    public async Task AssemblyOptionAddsUserStageTypes()
    {
        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(60, "stages", "faulty", "--assembly",
            Path.Combine(AppContext.BaseDirectory, "Flow.Cli.Tests.dll"));

        Assert.True(code == 0, stderr);
        Assert.StartsWith("faulty  —  Test stage that throws on the first batch.\n  input:  any\n  ports:  none (sink)\n", stdout);
    }
}
