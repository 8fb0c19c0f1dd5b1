using System.Runtime.InteropServices;
using System.Text;

namespace Flow.Backends.Dpdk;

/// <summary>
/// DPDK's Environment Abstraction Layer inside this .NET process: started once, on first use
/// (the first DPDK port), and never again — DPDK allows one <c>rte_eal_init</c> per process
/// (a second returns EALREADY, and no DPDK call may follow <c>rte_eal_cleanup</c>). Ports are
/// hot-plugged afterwards with <c>rte_dev_probe</c>, so EAL starts with no device.
/// </summary>
/// <remarks>
/// <para>Default arguments need no hugepages, PCI or telemetry (research 3.2, verified here):
/// <c>--no-huge -m 512 --no-shconf --no-pci --no-telemetry --file-prefix flow-&lt;pid&gt;</c>
/// (<c>--in-memory</c> refuses <c>--no-huge</c>, which implies legacy memory). Override them with
/// <see cref="Configure"/> before the first port or with <c>FLOW_DPDK_EAL_ARGS</c> (whitespace
/// separated, without the program name).</para>
/// <para>The shim runs <c>rte_eal_init</c> on a thread of its own and maps lcore 0 to every CPU
/// the process may use, so neither the calling thread's CPU affinity nor the threads it spawns
/// later are narrowed (EAL pins its main thread). Each Flow worker that runs a DPDK stage
/// registers as a DPDK thread (<c>rte_thread_register</c>) so mempool caches work.</para>
/// <para>At process exit, when no port is open, EAL is cleaned up and its runtime directory
/// (<c>/var/run/dpdk/&lt;prefix&gt;</c>) removed; with ports still open (a worker may be polling
/// one) only the directory is removed.</para>
/// </remarks>
public static unsafe class DpdkEal
{
    /// <summary>Environment variable with EAL arguments replacing the defaults.</summary>
    public const string ArgumentsVariable = "FLOW_DPDK_EAL_ARGS";

    private static readonly Lock s_lock = new();
    private static readonly Lazy<string?> s_support = new(Probe);
    private static IReadOnlyList<string>? s_configured;
    private static IReadOnlyList<string>? s_arguments;
    private static string? s_runtimeDirectory;
    private static int s_openPorts;
    private static bool s_cleanedUp;

    /// <summary>True when the shim loads and its mbuf layout is the one Flow was written for.</summary>
    public static bool IsSupported => s_support.Value is null;

    /// <summary>Why DPDK cannot be used here (shim or libdpdk missing, layout differs), or null.</summary>
    public static string? NotSupportedReason => s_support.Value;

    /// <summary>True once EAL has started in this process.</summary>
    public static bool IsInitialized
    {
        get
        {
            lock (s_lock)
            {
                return s_arguments is not null;
            }
        }
    }

    /// <summary>The arguments EAL started with (program name first), or null before.</summary>
    public static IReadOnlyList<string>? Arguments
    {
        get
        {
            lock (s_lock)
            {
                return s_arguments;
            }
        }
    }

    /// <summary>EAL's runtime directory, removed at exit.</summary>
    public static string? RuntimeDirectory => s_runtimeDirectory;

    /// <summary>DPDK's version string (rte_version), or null when not supported.</summary>
    public static string? Version => IsSupported ? Marshal.PtrToStringUTF8((nint)Interop.FlowDpdk.Version()) : null;

    /// <summary>The default arguments for this process (program name first).</summary>
    public static IReadOnlyList<string> DefaultArguments() =>
        ["flow", "--no-huge", "-m", "512", "--no-shconf", "--no-pci", "--no-telemetry",
            "--file-prefix", $"flow-{Environment.ProcessId}", "--log-level", "lib.eal:notice"];

    /// <summary>Sets the EAL arguments (without the program name) to start with; only before EAL has started.</summary>
    public static void Configure(IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        lock (s_lock)
        {
            if (s_arguments is not null)
            {
                throw new InvalidOperationException(
                    $"EAL already started with '{string.Join(' ', s_arguments)}'; DPDK starts once per process, so arguments are set before the first port opens");
            }
            s_configured = ["flow", .. arguments];
        }
    }

    /// <summary>Starts EAL unless it has started; throws <see cref="DpdkException"/> with the reason when it cannot.</summary>
    public static void EnsureInitialized()
    {
        lock (s_lock)
        {
            if (s_arguments is not null)
            {
                if (s_cleanedUp)
                {
                    throw new DpdkException("EAL was cleaned up in this process; DPDK cannot start again until the process restarts");
                }
                return;
            }
            if (NotSupportedReason is { } reason)
            {
                throw new DpdkException($"DPDK is not available: {reason}");
            }
            IReadOnlyList<string> arguments = s_configured ?? FromEnvironment() ?? DefaultArguments();
            CheckPrerequisites(arguments, HugePagesFree());
            int rc = Start(arguments);
            if (rc != 0)
            {
                string hint = Interop.Sys.GetEUid() != 0 ? " (not running as root: DPDK's EAL needs root or CAP_SYS_ADMIN, CAP_NET_RAW, CAP_IPC_LOCK)" : "";
                throw new DpdkException($"rte_eal_init '{string.Join(' ', arguments)}' failed: {ErrorText(-rc)} (errno {-rc}){hint}", -rc);
            }
            s_arguments = arguments;
            s_runtimeDirectory = Marshal.PtrToStringUTF8((nint)Interop.FlowDpdk.RuntimeDirectory());
            RemoveStaleRuntimeDirectories(Path.GetDirectoryName(s_runtimeDirectory));
            AppDomain.CurrentDomain.ProcessExit += static (_, _) => Shutdown();
        }
    }

    /// <summary>Registers the calling thread as a DPDK thread (its own lcore id and mempool caches); counted per thread.</summary>
    public static void RegisterThread()
    {
        int rc = Interop.FlowDpdk.ThreadRegister();
        if (rc != 0)
        {
            ThrowHelper.ThrowDpdk("rte_thread_register (more threads than RTE_MAX_LCORE?)", rc);
        }
    }

    /// <summary>Undoes one <see cref="RegisterThread"/> of the calling thread; the last one unregisters it.</summary>
    public static void UnregisterThread() => Interop.FlowDpdk.ThreadUnregister();

    /// <summary>The calling thread's lcore id (uint.MaxValue, LCORE_ID_ANY, when not registered).</summary>
    public static uint CurrentLcore => Interop.FlowDpdk.LcoreId();

    /// <summary>DPDK's text for an errno (rte_strerror covers DPDK's own codes too).</summary>
    public static string ErrorText(int error) =>
        IsSupported ? Marshal.PtrToStringUTF8((nint)Interop.FlowDpdk.StrError(error)) ?? $"error {error}" : Marshal.GetPInvokeErrorMessage(error);

    internal static void PortOpened() => Interlocked.Increment(ref s_openPorts);

    internal static void PortClosed() => Interlocked.Decrement(ref s_openPorts);

    private static IReadOnlyList<string>? FromEnvironment()
    {
        string? text = Environment.GetEnvironmentVariable(ArgumentsVariable);
        return string.IsNullOrWhiteSpace(text) ? null : ["flow", .. text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)];
    }

    /// <summary>Refuses arguments that ask for hugepages when <paramref name="hugePagesFree"/> (from /proc/meminfo) is 0.</summary>
    internal static void CheckPrerequisites(IReadOnlyList<string> arguments, long? hugePagesFree)
    {
        if (!arguments.Contains("--no-huge") && hugePagesFree is 0)
        {
            throw new DpdkException(
                "EAL arguments ask for hugepages (no --no-huge) but /proc/meminfo shows none free: reserve some " +
                "(echo 512 > /proc/sys/vm/nr_hugepages) or start with --no-huge");
        }
    }

    private static long? HugePagesFree()
    {
        foreach (string line in File.ReadLines("/proc/meminfo"))
        {
            if (line.StartsWith("HugePages_Free:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan("HugePages_Free:".Length).Trim(), provider: null);
            }
        }
        return null;
    }

    private static int Start(IReadOnlyList<string> arguments)
    {
        // Native copies: EAL keeps pointers into argv (and getopt permutes it).
        var strings = new nint[arguments.Count];
        byte** argv = stackalloc byte*[arguments.Count];
        for (int i = 0; i < arguments.Count; i++)
        {
            strings[i] = Marshal.StringToCoTaskMemUTF8(arguments[i]);
            argv[i] = (byte*)strings[i];
        }
        // The strings stay allocated for the life of the process: EAL may keep them (the log
        // and file prefix point into argv).
        return Interop.FlowDpdk.Init(arguments.Count, argv);
    }

    private static void Shutdown()
    {
        lock (s_lock)
        {
            if (s_arguments is null || s_cleanedUp)
            {
                return;
            }
            if (Volatile.Read(ref s_openPorts) == 0)
            {
                s_cleanedUp = true;
                Interop.FlowDpdk.Cleanup();
            }
            try
            {
                if (s_runtimeDirectory is { Length: > 0 } directory && Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
            catch (IOException)
            {
                // Another process may hold a file there; nothing to do at exit.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>
    /// Removes runtime directories of Flow's default prefix (<c>flow-&lt;pid&gt;</c>) whose process is
    /// gone: a process killed before its exit handler ran (a test host ended by its runner) leaves
    /// its directory behind, and these would pile up.
    /// </summary>
    private static void RemoveStaleRuntimeDirectories(string? parent)
    {
        if (parent is null || !Directory.Exists(parent))
        {
            return;
        }
        foreach (string directory in Directory.EnumerateDirectories(parent, "flow-*"))
        {
            if (int.TryParse(Path.GetFileName(directory).AsSpan("flow-".Length), out int pid) && pid != Environment.ProcessId &&
                !Directory.Exists($"/proc/{pid}"))
            {
                try
                {
                    Directory.Delete(directory, recursive: true);
                }
                catch (IOException)
                {
                    // Another process is cleaning up too.
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }
    }

    private static string? Probe()
    {
        string path = Path.Combine(AppContext.BaseDirectory, Interop.Libraries.FlowDpdk);
        string? directory = Path.GetDirectoryName(typeof(DpdkEal).Assembly.Location);
        if (!File.Exists(path) && directory is not null)
        {
            path = Path.Combine(directory, Interop.Libraries.FlowDpdk);
        }
        try
        {
            NativeLibrary.Load(path);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            return $"{Interop.Libraries.FlowDpdk} does not load ({e.Message}); install Debian's dpdk-dev and libdpdk-dev and a C compiler, then build again " +
                "(native/build.sh leaves the library empty without them)";
        }
        FlowDpdkLayout layout;
        Interop.FlowDpdk.GetLayout(&layout);
        string? wrong = Mbuf.Check(layout);
        return wrong is null ? null : $"the shim's rte_mbuf layout differs from the one Flow reads ({wrong}); rebuild against DPDK 22.11 (ABI 23)";
    }

    internal static string Utf8(ReadOnlySpan<byte> text)
    {
        int end = text.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? text : text[..end]);
    }
}
