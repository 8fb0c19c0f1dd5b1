using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Flow.Benchmarks.Switch;

/// <summary>
/// Open vSwitch for the veth benchmark. Uses a running system instance when its database
/// answers; otherwise starts a private ovsdb-server and ovs-vswitchd (own database, sockets and
/// logs under a temporary directory, ovs-vswitchd pinned to one CPU) and stops exactly those two
/// processes by pid on dispose. Bridges use the userspace datapath (<c>datapath_type=netdev</c>).
/// </summary>
internal sealed partial class OvsInstance : IDisposable
{
    private const string SystemDb = "/var/run/openvswitch/db.sock";

    private readonly string? _dir;
    private Process? _ovsdb;
    private Process? _vswitchd;

    public OvsInstance(int cpu)
    {
        if (File.Exists(SystemDb) && TryVsctl($"--db=unix:{SystemDb} --timeout=5 show"))
        {
            Db = SystemDb;
            Started = false;
            return;
        }
        _dir = Path.Combine(Path.GetTempPath(), $"flowbench-ovs-{Environment.ProcessId}-{Random.Shared.Next(0x100000):x}");
        Directory.CreateDirectory(_dir);
        Db = Path.Combine(_dir, "db.sock");
        Started = true;
        try
        {
            VethHosts.Run("ovsdb-tool", $"create {_dir}/conf.db /usr/share/openvswitch/vswitch.ovsschema");
            _ovsdb = Start("ovsdb-server", $"{_dir}/conf.db --remote=punix:{Db} --unixctl={_dir}/ovsdb.ctl --log-file={_dir}/ovsdb.log -vconsole:off --no-chdir");
            if (!WaitFor(() => File.Exists(Db), 10))
            {
                throw new InvalidOperationException("ovsdb-server did not create its socket: " + Log("ovsdb.log"));
            }
            Vsctl("--no-wait init");
            _vswitchd = Start("taskset", $"-c {cpu} ovs-vswitchd unix:{Db} --unixctl={_dir}/vswitchd.ctl --log-file={_dir}/vswitchd.log -vconsole:off --no-chdir");
            if (!WaitFor(() => TryVsctl($"--db=unix:{Db} --timeout=2 show") && File.Exists($"{_dir}/vswitchd.ctl"), 20))
            {
                throw new InvalidOperationException("ovs-vswitchd did not start: " + Log("vswitchd.log"));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The database socket every ovs-vsctl call uses.</summary>
    public string Db { get; }

    /// <summary>True when this benchmark started ovsdb-server and ovs-vswitchd (and stops them).</summary>
    public bool Started { get; }

    public string Version => VethHosts.Run("ovs-vswitchd", "--version").Split('\n')[0].Trim();

    public string Vsctl(string arguments) => VethHosts.Run("ovs-vsctl", $"--db=unix:{Db} --timeout=20 {arguments}");

    /// <summary>A userspace-datapath bridge with <paramref name="ports"/> (default NORMAL action: a MAC-learning switch).</summary>
    public void AddBridge(string bridge, params string[] ports)
    {
        Vsctl($"add-br {bridge} -- set bridge {bridge} datapath_type=netdev");
        foreach (string port in ports)
        {
            Vsctl($"add-port {bridge} {port}");
        }
    }

    public void DeleteBridge(string bridge) => Vsctl($"--if-exists del-br {bridge}");

    /// <summary>The bridge's learned MAC table (<c>ovs-appctl fdb/show</c>).</summary>
    public string Fdb(string bridge) => _dir is null
        ? VethHosts.Run("ovs-appctl", $"fdb/show {bridge}")
        : VethHosts.Run("ovs-appctl", $"-t {_dir}/vswitchd.ctl fdb/show {bridge}");

    private string Log(string name) => _dir is not null && File.Exists(Path.Combine(_dir, name)) ? File.ReadAllText(Path.Combine(_dir, name)) : "";

    private static bool TryVsctl(string arguments)
    {
        try
        {
            VethHosts.Run("ovs-vsctl", arguments);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Starts one OVS daemon in the foreground (its pid is ours to stop), run/log/db dirs private.</summary>
    private Process Start(string file, string arguments)
    {
        // Output captured and dropped: the daemons log to their files (console logging is off,
        // only the "opened log file" line comes before that takes effect).
        var info = new ProcessStartInfo(file, arguments) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["OVS_RUNDIR"] = _dir;
        info.Environment["OVS_LOGDIR"] = _dir;
        info.Environment["OVS_DBDIR"] = _dir;
        info.Environment["OVS_SYSCONFDIR"] = _dir;
        Process process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static bool WaitFor(Func<bool> condition, double seconds)
    {
        long deadline = Environment.TickCount64 + (long)(seconds * 1000);
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }
            Thread.Sleep(50);
        }
        return true;
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    private static void Stop(Process? process)
    {
        if (process is null)
        {
            return;
        }
        if (!process.HasExited)
        {
            Kill(process.Id, 15);
            if (!process.WaitForExit(10_000))
            {
                Kill(process.Id, 9);
                process.WaitForExit(10_000);
            }
        }
        process.Dispose();
    }

    public void Dispose()
    {
        Stop(_vswitchd);
        Stop(_ovsdb);
        if (_dir is not null)
        {
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (IOException)
            {
                // a socket still closing; the temporary directory is harmless
            }
        }
    }
}
