using System.Diagnostics;

namespace Flow.TestKit;

/// <summary>
/// A private network namespace with a unique name (<c>flow-&lt;tag&gt;-&lt;pid&gt;-&lt;random&gt;</c>), IPv6
/// off (so no router solicitations or DAD leak into captures), loopback up. Commands run in it
/// through <c>ip netns exec</c>. <see cref="Dispose"/> kills what it started and deletes the
/// namespace (and with it every interface inside), also after a failed test.
/// </summary>
public sealed class NetnsFixture : IDisposable
{
    private readonly List<Process> _started = [];
    private bool _disposed;

    public NetnsFixture(string tag = "ns")
    {
        Shell.RequireRootAnd("ip");
        Name = UniqueName(tag, 40);
        Shell.Run("ip", "netns", "add", Name);
        try
        {
            Exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
            Exec("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1");
            Exec("ip", "link", "set", "lo", "up");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Name { get; }

    /// <summary>A name no other test run uses: tag, pid, random suffix, cut to <paramref name="max"/> characters.</summary>
    public static string UniqueName(string tag, int max)
    {
        string suffix = $"{Environment.ProcessId % 100000}{Random.Shared.Next(0x1000, 0xFFFF):x}";
        string name = $"fl{tag}{suffix}";
        return name.Length <= max ? name : name[..(max - suffix.Length)] + suffix;
    }

    /// <summary>Runs a command inside the namespace; throws when it fails.</summary>
    public string Exec(params string[] command) => Shell.Run("ip", ["netns", "exec", Name, .. command]);

    /// <summary>Runs a command inside the namespace with a time bound; returns its result whatever it is.</summary>
    public ShellResult TryExec(TimeSpan limit, params string[] command) => Shell.TryRun(limit, "ip", ["netns", "exec", Name, .. command]);

    /// <summary>Starts a command inside the namespace; it is killed (by pid) in <see cref="Dispose"/> if still running.</summary>
    public Process Begin(params string[] command)
    {
        Process process = Shell.Begin("ip", ["netns", "exec", Name, .. command]);
        _started.Add(process);
        return process;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (Process process in _started)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
            process.Dispose();
        }
        Shell.TryRun(TimeSpan.FromSeconds(10), "ip", "netns", "del", Name);
    }
}
