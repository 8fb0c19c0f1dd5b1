using Flow.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Net.Tests;

/// <summary>
/// <see cref="StackHost"/> with an impaired wire between the Linux host and Flow's stack: a
/// user-space bridge (tests/tools/impair.py) in a namespace of its own delays, reorders and drops
/// frames both ways as <see cref="Impairment"/> says — this kernel has no netem qdisc.
/// <code>
///  ns host 10.9.0.1/24 ─veth─ ns medium: impair.py (no addresses) ─veth─ stack 10.9.0.2/24
/// </code>
/// The medium's namespace has no addresses and no forwarding, so its kernel neither answers nor
/// passes on what crosses it; only impair.py does. The stack's end stays in the test's namespace, as
/// in <see cref="StackHost"/>. <see cref="StopMediumAsync"/> ends the bridge and returns its counters.
/// </summary>
public sealed class ImpairedStackHost : NetnsHostFixture
{
    /// <summary>impair.py's own bound on its run time: a test that dies leaves nothing forwarding.</summary>
    private const int MediumSeconds = 180;

    private readonly CapturedProcess _medium = null!;

    public ImpairedStackHost(Impairment impairment)
    {
        Shell.RequireRootAnd("ip", "ping", Shell.Python);
        string script = Path.Combine(AppContext.BaseDirectory, "tools", "impair.py");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"prerequisite missing: {script} (tests/tools/impair.py, copied by the test project)");
        }
        try
        {
            Host = Own(new NetnsFixture("ih"));
            Medium = Own(new NetnsFixture("im"));
            VethPair hostLink = Own(new VethPair(Medium, "a"));
            VethPair stackLink = Own(new VethPair(Medium, "b"));
            StackInterface = stackLink.HostName;
            Shell.Run("ip", "link", "set", hostLink.HostName, "netns", Host.Name);
            HostInterface = hostLink.HostName;
            Host.Exec("ip", "link", "set", HostInterface, "up");
            Host.Exec("ip", "addr", "add", StackHost.HostAddress + "/24", "dev", HostInterface);
            HostOffloads.DisableTxChecksum(Host, HostInterface);
            Shell.Run("sysctl", "-qw", $"net.ipv4.conf.{stackLink.HostName}.forwarding=0");
            Medium.Exec("sysctl", "-qw", "net.ipv4.conf.all.forwarding=0");
            foreach (string end in new[] { hostLink.PeerName, stackLink.PeerName })
            {
                Medium.Exec("ip", "link", "set", end, "promisc", "on");
            }

            _medium = Own(CapturedProcess.Start("ip",
                ["netns", "exec", Medium.Name, Shell.Python, "-u", script, hostLink.PeerName, stackLink.PeerName,
                 "--seconds", MediumSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), .. impairment.Arguments()]));
            if (!_medium.WaitForOutput(0, "READY", TimeSpan.FromSeconds(10)))
            {
                throw new InvalidOperationException($"impair.py did not start: {_medium.Output}");
            }

            // Owned before the stack, so disposed after it: it holds the tables the stack's stages share.
            ServiceProvider provider = Own(StackHost.StackServices());
            Stack = Own(StackHost.LoadStack(provider, stackLink.HostName, stackLink.HostMac));
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

    /// <summary>The namespace impair.py runs in, between the host and the stack.</summary>
    public NetnsFixture Medium { get; } = null!;

    /// <summary>The Linux host's interface (10.9.0.1), facing the medium.</summary>
    public string HostInterface { get; } = null!;

    /// <summary>The stack's interface (AF_PACKET), in the test's namespace, facing the medium.</summary>
    public string StackInterface { get; } = null!;

    public FlowStack Stack { get; } = null!;

    /// <summary>Ends impair.py (SIGTERM) and returns what it did: toward the stack, toward the host.</summary>
    public async Task<(MediumCounters ToStack, MediumCounters ToHost)> StopMediumAsync()
    {
        _medium.Signal(15);
        await _medium.WaitForExitAsync(TimeSpan.FromSeconds(10));
        IReadOnlyList<MediumCounters> counters = MediumCounters.Parse(_medium.Stdout);
        if (counters.Count != 2)
        {
            throw new InvalidOperationException($"impair.py printed no counters: {_medium.Output}");
        }
        return (counters.Single(c => c.Direction == "left>right"), counters.Single(c => c.Direction == "right>left"));
    }

    /// <summary>Runs a Python script on the Linux host; returns what it printed, or fails the test with its error output.</summary>
    public string Python(string script, int timeoutSeconds = 30)
    {
        ShellResult result = Host.TryExec(TimeSpan.FromSeconds(timeoutSeconds), Shell.Python, "-c", script);
        return result.ExitCode == 0 ? result.StandardOutput : throw new InvalidOperationException($"python on the host failed ({result.ExitCode}): {result.StandardError}{result.StandardOutput}");
    }
}
