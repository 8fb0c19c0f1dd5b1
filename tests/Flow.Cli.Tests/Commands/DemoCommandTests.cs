using System.Text.RegularExpressions;
using Flow.TestKit;
using Xunit;

namespace Flow.Cli.Tests;

/// <summary>
/// <c>flow demo switch</c>, the README's first command: real namespaces, veths, pings and the
/// embedded switch.json. These tests need root (the demo makes network namespaces).
/// </summary>
public sealed partial class DemoCommandTests
{
    [Fact]
    public async Task SwitchDemoPingsWithinVlansLearnsEveryHostAndLeavesNothingBehind()
    {
        RequireRoot();
        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(120, "demo", "switch", "--duration", "4");

        Assert.True(code == 0, $"exit {code}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        Assert.Contains("ping summary: all 6 checks as expected: 3 same-VLAN pairs answered, 3 cross-VLAN pairs stayed isolated", stdout);
        Assert.Matches(@"h1 -> h2 198\.18\.10\.2 \(VLAN 10\)\s+[1-9]\d*/\d+\s+replies  ok", stdout);
        Assert.Matches(@"h1 -> h3 198\.18\.10\.3 \(VLAN 10 -> 20\)\s+0/[1-9]\d*\s+replies  ok", stdout);
        // Every host that spoke was learned on its own port, in its port's VLAN.
        Assert.Matches(@"\n  10\s+\S+\s+p1\s+h1 ", stdout);
        Assert.Matches(@"\n  10\s+\S+\s+p2\s+h2 ", stdout);
        Assert.Matches(@"\n  20\s+\S+\s+p3\s+h3 ", stdout);
        Assert.Matches(@"\n  10\s+\S+\s+p4\s+h4 ", stdout);
        Assert.Contains("final balanced=true", stdout);
        AssertCleanedUp(DemoId(stdout));
    }

    [Theory]
    [InlineData("SIGTERM", "terminated")]
    [InlineData("SIGINT", "interrupted")]
    public async Task SwitchDemoCleansUpWhenSignalled(string signal, string says)
    {
        RequireRoot();
        using FlowProcess demo = FlowProcess.Start("demo", "switch", "--duration", "60");
        await demo.WaitForStdoutAsync("flow demo switch: hosts h1..h4");
        string id = DemoId(demo.Stdout);
        await Waits.Until(() => Shell.Run("ip", "netns", "list").Contains($"flow-demo-{id}-h4", StringComparison.Ordinal),
            $"network namespace flow-demo-{id}-h4", FlowProcess.OutputLimit);

        if (signal == "SIGTERM")
        {
            demo.Terminate();
        }
        else
        {
            demo.Interrupt();
        }
        int code = await demo.WaitForExitAsync(60);

        Assert.True(code == 0, $"exit {code}\nstderr:\n{demo.Stderr}");
        Assert.Contains($"flow: {says}: stopping the demo and cleaning up", demo.Stderr);
        AssertCleanedUp(id);
    }

    [Fact]
    public async Task SwitchDemoRunsOnAfXdpPortsToo()
    {
        RequireRoot();
        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(120, "demo", "switch", "--duration", "3", "--backend", "af_xdp");

        Assert.True(code == 0, $"exit {code}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        Assert.Contains("final stage=p1_rx type=af_xdp_rx ", stdout);
        Assert.Contains("ping summary: all 6 checks as expected", stdout);
        Assert.Contains("final balanced=true", stdout);
        AssertCleanedUp(DemoId(stdout));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task SwitchDemoWithoutRootSaysItNeedsRootAndExitsSix()
    {
        RequireRoot();
        // The same flow.dll, run as 'nobody' (setpriv, util-linux), from a copy nobody can read
        // wherever the repository is checked out (a CI checkout under /root is not).
        string copy = Path.Combine(Path.GetTempPath(), "flow-nobody-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(copy);
        try
        {
            foreach (string file in Directory.GetFiles(AppContext.BaseDirectory).Where(f => f.EndsWith(".dll", StringComparison.Ordinal) ||
                Path.GetFileName(f).StartsWith("flow.", StringComparison.Ordinal)))
            {
                File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            }
            File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            await RunAsNobodyAsync(Path.Combine(copy, "flow.dll"));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    private static async Task RunAsNobodyAsync(string flowDll)
    {
        using CapturedProcess process = CapturedProcess.Start("setpriv",
            ["--reuid=65534", "--regid=65534", "--clear-groups", "env", "HOME=/tmp", "DOTNET_CLI_HOME=/tmp",
                Environment.ProcessPath!.EndsWith("dotnet", StringComparison.Ordinal) ? Environment.ProcessPath : "dotnet",
                flowDll, "demo", "switch"],
            workingDirectory: Path.GetTempPath());
        int exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 6, $"exit {exitCode}\nstdout:\n{process.Stdout}\nstderr:\n{process.Stderr}");
        Assert.Contains("flow: demo switch needs root (network namespaces)", process.Stderr);
        Assert.Contains("flow run pipelines/generator_demo.json", process.Stderr);
    }

    private static string DemoId(string stdout)
    {
        Match match = DemoIdPattern().Match(stdout);
        Assert.True(match.Success, $"the demo did not name its namespaces:\n{stdout}");
        return match.Groups[1].Value;
    }

    private static void AssertCleanedUp(string id)
    {
        Assert.DoesNotContain($"flow-demo-{id}-", Shell.Run("ip", "netns", "list"));
        Assert.DoesNotContain($"fd{id}s", Shell.Run("ip", "-o", "link", "show"));
    }

    private static void RequireRoot()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException("prerequisite missing: the demo tests need root (network namespaces)");
        }
    }

    [GeneratedRegex(@"namespaces flow-demo-([0-9a-f]+)-h1\.\.h4")]
    private static partial Regex DemoIdPattern();
}
