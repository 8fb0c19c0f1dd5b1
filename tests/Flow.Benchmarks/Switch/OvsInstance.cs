using Flow.TestKit;

namespace Flow.Benchmarks.Switch;

/// <summary>
/// Open vSwitch for the veth benchmark. Uses a running system instance when its database
/// answers; otherwise starts a private ovsdb-server and ovs-vswitchd (own database, sockets and
/// logs under a temporary directory, ovs-vswitchd pinned to one CPU) and stops exactly those two
/// processes by pid on dispose. Bridges use the userspace datapath (<c>datapath_type=netdev</c>).
/// </summary>
internal sealed class OvsInstance : IDisposable
{
    private const string SystemDb = "/var/run/openvswitch/db.sock";

    private readonly string? _dir;
    private CapturedProcess? _ovsdb;
    private CapturedProcess? _vswitchd;

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
            if (!Waits.TryUntilBlocking(() => File.Exists(Db), TimeSpan.FromSeconds(10)))
            {
                throw new InvalidOperationException("ovsdb-server did not create its socket: " + Log("ovsdb.log"));
            }
            Vsctl("--no-wait init");
            _vswitchd = Start("taskset", $"-c {cpu} ovs-vswitchd unix:{Db} --unixctl={_dir}/vswitchd.ctl --log-file={_dir}/vswitchd.log -vconsole:off --no-chdir");
            if (!Waits.TryUntilBlocking(() => TryVsctl($"--db=unix:{Db} --timeout=2 show") && File.Exists($"{_dir}/vswitchd.ctl"), TimeSpan.FromSeconds(20)))
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
    private CapturedProcess Start(string file, string arguments)
    {
        // The daemons log to their files (console logging is off, only the "opened log file" line
        // comes before that takes effect), so the captured output stays small.
        string dir = _dir!;
        var environment = new Dictionary<string, string> { ["OVS_RUNDIR"] = dir, ["OVS_LOGDIR"] = dir, ["OVS_DBDIR"] = dir, ["OVS_SYSCONFDIR"] = dir };
        return CapturedProcess.Start(file, CapturedProcess.Words(arguments), environment: environment);
    }

    /// <summary>SIGTERM (the daemons clean up), SIGKILL by pid after 10 s.</summary>
    private static void Stop(CapturedProcess? process)
    {
        if (process is null)
        {
            return;
        }
        process.Stop(() => process.Signal(15));
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
