using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Flow.TestKit;

namespace Flow.Cli.Tests;

/// <summary>Runs the built <c>flow</c> command as a child process, capturing stdout and stderr, with a bounded wait.</summary>
internal sealed partial class FlowProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Lock _lock = new();

    private FlowProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public string Stdout
    {
        get
        {
            lock (_lock)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_lock)
            {
                return _stderr.ToString();
            }
        }
    }

    public static string RepositoryRoot
    {
        get
        {
            string? directory = AppContext.BaseDirectory;
            while (directory is not null && !File.Exists(Path.Combine(directory, "Flow.sln")))
            {
                directory = Path.GetDirectoryName(directory);
            }
            return directory ?? throw new InvalidOperationException($"Flow.sln not found above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>The default control-socket folder (<c>FLOW_CONTROL_DIR</c>) of every flow process this test run starts.</summary>
    public static string ControlDirectory { get; } = CreateControlDirectory();

    private static string CreateControlDirectory()
    {
        string directory = Directory.CreateTempSubdirectory("flow-ctl-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(directory, recursive: true);
        return directory;
    }

    public static FlowProcess Start(params string[] args) => StartDll(Path.Combine(AppContext.BaseDirectory, "flow.dll"), args);

    /// <summary>Starts <c>dotnet &lt;dll&gt; args</c> (a sample, say) in the repository root.</summary>
    public static FlowProcess StartDll(string dll, params string[] args)
    {
        string flow = dll;
        if (!File.Exists(flow))
        {
            throw new InvalidOperationException($"{flow} not found: its project reference did not build or copy it");
        }
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot,
        };
        // Control sockets of the flow processes tests start go to a folder of this test run, not
        // /run/flow: two test runs on one machine (or a graph someone runs) never meet there.
        info.Environment["FLOW_CONTROL_DIR"] = ControlDirectory;
        info.ArgumentList.Add(flow);
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        var process = new Process { StartInfo = info };
        var result = new FlowProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (result._lock)
                {
                    result._stdout.Append(e.Data).Append('\n');
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (result._lock)
                {
                    result._stderr.Append(e.Data).Append('\n');
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>Runs to the end (at most <paramref name="seconds"/>) and returns the exit code.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(int seconds, params string[] args)
    {
        using FlowProcess process = Start(args);
        int code = await process.WaitForExitAsync(seconds);
        return (code, process.Stdout, process.Stderr);
    }

    public async Task<int> WaitForExitAsync(int seconds)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"flow did not exit within {seconds} s; stdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>
    /// The bound of a wait for a child's output: a flow process starts the runtime, JIT-compiles
    /// and builds its graph first, slower than <see cref="Waits.Limit"/> allows on a loaded machine.
    /// </summary>
    public static readonly TimeSpan OutputLimit = TimeSpan.FromSeconds(60);

    /// <summary>Waits (bounded) until stdout contains <paramref name="text"/>; fails at once if flow exits first.</summary>
    public Task WaitForStdoutAsync(string text) => WaitForOutputAsync(() => Stdout, "stdout", text);

    /// <summary>Waits (bounded) until stderr contains <paramref name="text"/>; fails at once if flow exits first.</summary>
    public Task WaitForStderrAsync(string text) => WaitForOutputAsync(() => Stderr, "stderr", text);

    private async Task WaitForOutputAsync(Func<string> output, string name, string text)
    {
        await Waits.Until(() => output().Contains(text, StringComparison.Ordinal) || _process.HasExited,
            () => $"'{text}' on flow's {name}; stdout:\n{Stdout}\nstderr:\n{Stderr}", OutputLimit);
        if (!output().Contains(text, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"flow exited with {_process.ExitCode} before '{text}' appeared on its {name}; stdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
    }

    /// <summary>Sends SIGTERM to this child (and only it).</summary>
    public void Terminate() => Signal(Interop.SigTerm, "SIGTERM");

    /// <summary>Sends SIGINT (what Ctrl-C sends) to this child (and only it).</summary>
    public void Interrupt() => Signal(Interop.SigInt, "SIGINT");

    /// <summary>Sends <paramref name="signal"/> (a number, as kill(2) takes it) to this child (and only it).</summary>
    public void Signal(int signal) => Signal(signal, $"signal {signal}");

    private void Signal(int signal, string name)
    {
        if (Interop.Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {name}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }

    private static partial class Interop
    {
        public const int SigInt = 2;

        public const int SigTerm = 15;

        [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static partial int Kill(int pid, int signal);
    }
}
