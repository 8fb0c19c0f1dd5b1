using Flow.TestKit;
using Xunit;

namespace Flow.Cli.Tests;

/// <summary>
/// DPDK without root (issue 17, "clear errors for the usual failures"): EAL itself starts
/// unprivileged with Flow's defaults (no hugepages, no PCI), so the failure a user meets is the
/// device's — net_af_packet cannot open its socket. <c>flow run</c> as an unprivileged user
/// refuses the graph at that stage, saying it is not running as root and what the device needs.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DpdkPermissionTests
{
    [Fact]
    public async Task AGraphWithADpdkAfPacketPortRunAsAnUnprivilegedUserSaysTheDeviceNeedsRoot()
    {
        Shell.RequireRootAnd("runuser");
        using var graph = new TempGraph("""
            {
              "stages": {
                "gen": { "type": "generator", "config": { "count": 10 } },
                "tx": { "type": "dpdk_tx", "config": { "device": "net_af_packet0,iface=lo" } }
              },
              "edges": ["gen -> tx"]
            }
            """);
        // The graph's folder and file are the test's (root's, 0700 from a temp folder): let nobody read them.
        File.SetUnixFileMode(Path.GetDirectoryName(graph.Path)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(graph.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        string home = Directory.CreateTempSubdirectory("flow-nobody-").FullName;
        File.SetUnixFileMode(home, (UnixFileMode)0x1FF); // 0777: the runtime's and DPDK's files as nobody
        try
        {
            // A copy of flow where nobody can read it: the clone may sit under a folder only root enters.
            string bin = Path.Combine(home, "bin");
            Shell.Run("cp", "-r", AppContext.BaseDirectory, bin);
            Shell.Run("chmod", "-R", "a+rX", bin);
            using CapturedProcess flow = CapturedProcess.Start("runuser",
                ["-u", "nobody", "--", "/usr/bin/env", $"HOME={home}", $"DOTNET_CLI_HOME={home}", $"FLOW_CONTROL_DIR={home}/ctl", "DOTNET_NOLOGO=1",
                 "dotnet", Path.Combine(bin, "flow.dll"), "run", graph.Path],
                workingDirectory: home);
            int code = await flow.WaitForExitAsync(TimeSpan.FromSeconds(60));

            Assert.True(code == 4, $"exit {code}; stdout:\n{flow.Stdout}\nstderr:\n{flow.Stderr}");
            Assert.Contains("$.stages.tx.config: stage type 'dpdk_tx' could not be created: DpdkException: DPDK device 'net_af_packet0,iface=lo' does not probe: " +
                "Operation not permitted (errno 1): not running as root, and the device needs privileges (net_af_packet and net_tap: CAP_NET_RAW and CAP_NET_ADMIN",
                flow.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
