using System.Text.RegularExpressions;
using Flow.TestKit;
using Xunit;

namespace Flow.Cli.Tests;

/// <summary>
/// <c>flow demo router</c>, the README's first command: namespaces, veths, dnsmasq as the ISP,
/// busybox udhcpc, ping, wget and httpd as the hosts, the embedded router.json with its DHCP
/// server and client and NAT. The checks it prints are what the hosts saw; these tests read them.
/// </summary>
public sealed partial class RouterDemoCommandTests
{
    [Fact]
    public async Task RouterDemoLeasesTranslatesMapsAPortAndLeavesNothingBehind()
    {
        RequireRoot();
        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(180, "demo", "router", "--duration", "6");

        Assert.True(code == 0, $"exit {code}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        Assert.Matches(@"pass  WAN address from the ISP's dnsmasq \(DHCP client\): 203\.0\.113\.1\d\d", stdout);
        Assert.Matches(@"pass  LAN host's address from Flow's DHCP server: 192\.168\.1\.1\d\d, router 192\.168\.1\.1, dns 203\.0\.113\.53", stdout);
        Assert.Contains("pass  LAN host fetches the WAN server's page through NAT: hello from the WAN server", stdout);
        Assert.Contains("pass  ISP side reaches the LAN service by the port mapping: hello from the LAN service", stdout);
        Assert.Matches(@"router demo: all [78] checks passed", stdout);
        Assert.DoesNotContain("FAIL", stdout);
        // The leases and sessions tables: the LAN host bound, its translated sessions on the WAN address.
        Assert.Matches(@"dhcp_server\s+192\.168\.1\.1\d\d\s+bound", stdout);
        Assert.Matches(@"tcp\s+192\.168\.1\.1\d\d:\d+\s+203\.0\.113\.1\d\d:\d+\s+203\.0\.113\.1:80", stdout);
        Assert.Contains("final balanced=true", stdout);
        AssertCleanedUp(DemoId(stdout));
    }

    [Fact]
    public async Task RouterDemoCleansUpOnCtrlC()
    {
        RequireRoot();
        using FlowProcess demo = FlowProcess.Start("demo", "router", "--duration", "60");
        await demo.WaitForStdoutAsync("flow demo router: LAN host in namespace");
        string id = DemoId(demo.Stdout);
        await Waits.Until(() => Shell.Run("ip", "netns", "list").Contains($"flow-demo-{id}-isp", StringComparison.Ordinal),
            $"network namespace flow-demo-{id}-isp", FlowProcess.OutputLimit);
        demo.Interrupt();
        int code = await demo.WaitForExitAsync(60);

        Assert.True(code == 0, $"exit {code}\nstderr:\n{demo.Stderr}");
        Assert.Contains("flow: interrupted: stopping the demo and cleaning up", demo.Stderr);
        AssertCleanedUp(id);
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
        Assert.DoesNotContain($"fd{id}", Shell.Run("ip", "-o", "link", "show"));
        Assert.DoesNotContain($"flow-demo-{id}", Shell.Run("ps", "-eo", "args"));
    }

    private static void RequireRoot()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException("prerequisite missing: the demo tests need root (network namespaces)");
        }
    }

    [GeneratedRegex(@"namespace flow-demo-([0-9a-f]+)-lan")]
    private static partial Regex DemoIdPattern();
}
