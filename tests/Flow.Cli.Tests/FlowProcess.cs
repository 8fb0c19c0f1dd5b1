using Flow.TestKit;

namespace Flow.Cli.Tests;

/// <summary>
/// Runs the built <c>flow</c> command as a child process (TestKit's <see cref="CapturedProcess"/>:
/// stdout and stderr captured, signalled by its pid), with bounded waits.
/// </summary>
internal sealed class FlowProcess : IDisposable
{
    private const int SigInt = 2;
    private const int SigTerm = 15;

    private readonly CapturedProcess _process;

    private FlowProcess(CapturedProcess process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public string Stdout => _process.Stdout;

    public string Stderr => _process.Stderr;

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
        // Control sockets of the flow processes tests start go to a folder of this test run, not
        // /run/flow: two test runs on one machine (or a graph someone runs) never meet there.
        var environment = new Dictionary<string, string> { ["FLOW_CONTROL_DIR"] = ControlDirectory };
        return new FlowProcess(CapturedProcess.Start("dotnet", [flow, .. args], workingDirectory: RepositoryRoot, environment: environment));
    }

    /// <summary>Runs to the end (at most <paramref name="seconds"/>) and returns the exit code.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(int seconds, params string[] args)
    {
        using FlowProcess process = Start(args);
        int code = await process.WaitForExitAsync(seconds);
        return (code, process.Stdout, process.Stderr);
    }

    public Task<int> WaitForExitAsync(int seconds) => _process.WaitForExitAsync(TimeSpan.FromSeconds(seconds));

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
    public void Terminate() => _process.Signal(SigTerm);

    /// <summary>Sends SIGINT (what Ctrl-C sends) to this child (and only it).</summary>
    public void Interrupt() => _process.Signal(SigInt);

    /// <summary>Sends <paramref name="signal"/> (a number, as kill(2) takes it) to this child (and only it).</summary>
    public void Signal(int signal) => _process.Signal(signal);

    public void Dispose() => _process.Dispose();
}
