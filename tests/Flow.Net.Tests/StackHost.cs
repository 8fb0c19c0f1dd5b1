using Flow.Backends.AfPacket;
using Flow.Hosting;
using Flow.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Net.Tests;

/// <summary>
/// Flow's stack (the shipped stack.json) on AF_PACKET, facing a Linux host in a namespace of its own:
/// <code>
///  ns host 10.9.0.1/24 ─veth─ stack 10.9.0.2/24 (default via 10.9.0.1)
/// </code>
/// The stack's end stays in the test's namespace with no address, no IPv6 and no forwarding, so
/// the kernel there neither answers nor forwards what crosses it: the stack is the only host on
/// that side. The Linux host's veth sends whole checksums (tx checksum offload off), as a NIC's
/// wire would carry them. Everything is removed in <see cref="NetnsHostFixture.Dispose"/>, also when construction fails.
/// </summary>
public sealed class StackHost : NetnsHostFixture
{
    public const string HostAddress = "10.9.0.1";
    public const string StackAddress = "10.9.0.2";

    public StackHost()
    {
        Shell.RequireRootAnd("ip", "ping", Shell.Python);
        try
        {
            Host = Own(new NetnsFixture("st"));
            Veth = Own(new VethPair(Host, "s"));
            Shell.Run("sysctl", "-qw", $"net.ipv4.conf.{Veth.HostName}.forwarding=0");
            Host.Exec("ip", "link", "set", "lo", "up");
            Host.Exec("ip", "addr", "add", HostAddress + "/24", "dev", Veth.PeerName);
            HostOffloads.DisableTxChecksum(Host, Veth.PeerName);

            // Owned before the stack, so disposed after it: it holds the tables the stack's stages share.
            ServiceProvider provider = Own(StackServices());
            Stack = Own(LoadStack(provider, Veth.HostName, Veth.HostMac));
            Graph = Stack.Graph;
            Stack.Start();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public NetnsFixture Host { get; } = null!;

    public VethPair Veth { get; } = null!;

    public FlowStack Stack { get; } = null!;

    /// <summary>What a test stack loads with: hosting, the stack's stages, AF_PACKET.</summary>
    internal static ServiceProvider StackServices()
    {
        var services = new ServiceCollection();
        services.AddFlowHosting();
        services.AddFlowNet();
        services.AddFlowAfPacket();
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// The shipped stack.json on AF_PACKET over <paramref name="interfaceName"/> (a 1 024-frame
    /// pool), as <see cref="StackAddress"/>/24 with <see cref="HostAddress"/> as its gateway.
    /// </summary>
    internal static FlowStack LoadStack(ServiceProvider provider, string interfaceName, string mac) =>
        FlowStack.Load(provider, new Dictionary<string, string>
        {
            ["backend"] = "af_packet",
            ["interface"] = interfaceName,
            ["address"] = StackAddress + "/24",
            ["mac"] = mac,
            ["af_packet"] = """{ "pool_frames": 1024, "block_count": 8 }""",
            ["routes"] = $$"""[{ "prefix": "0.0.0.0/0", "via": "{{HostAddress}}" }]""",
        });

    /// <summary>Runs a Python script on the Linux host; returns what it printed, or fails the test with its error output.</summary>
    public string Python(string script, int timeoutSeconds = 30)
    {
        ShellResult result = Host.TryExec(TimeSpan.FromSeconds(timeoutSeconds), Shell.Python, "-c", script);
        return result.ExitCode == 0 ? result.StandardOutput : throw new InvalidOperationException($"python on the host failed ({result.ExitCode}): {result.StandardError}{result.StandardOutput}");
    }
}
