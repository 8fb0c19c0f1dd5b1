using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Flow.TestKit;

/// <summary>
/// A long-running child the tests and benchmarks start (flow, testpmd, l2fwd, l3fwd-graph): its
/// stdout and stderr captured line by line (apart, and merged in arrival order in
/// <see cref="Output"/>), stdin open when asked, signalled and ended by its own pid only. For a
/// command that runs to completion, <see cref="Shell"/> is simpler.
/// </summary>
public sealed class CapturedProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly StringBuilder _output = new();
    private readonly Lock _lock = new();

    private CapturedProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
    }

    /// <summary>
    /// Starts <paramref name="file"/> with <paramref name="arguments"/>. <paramref name="unbuffered"/>
    /// runs it through <c>stdbuf -o0 -e0</c> (C programs block-buffer a piped stdout, so their lines
    /// would arrive late); stdbuf execs the program, so the pid stays the program's.
    /// </summary>
    public static CapturedProcess Start(string file, IEnumerable<string> arguments, bool withInput = false, bool unbuffered = false,
        string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(unbuffered ? "/usr/bin/stdbuf" : file)
        {
            RedirectStandardInput = withInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (unbuffered)
        {
            info.ArgumentList.Add("-o0");
            info.ArgumentList.Add("-e0");
            info.ArgumentList.Add(file);
        }
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }
        var result = new CapturedProcess(new Process { StartInfo = info });
        try
        {
            result._process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"prerequisite missing: could not start '{info.FileName}' ({e.Message})", e);
        }
        result._process.BeginOutputReadLine();
        result._process.BeginErrorReadLine();
        return result;
    }

    /// <summary>Splits a command line's arguments at spaces (none of ours quote).</summary>
    public static string[] Words(string arguments) => arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Stdout => Read(_stdout);

    public string Stderr => Read(_stderr);

    /// <summary>stdout and stderr together, lines in the order they arrived.</summary>
    public string Output => Read(_output);

    /// <summary>One line to the child's stdin (started with <c>withInput</c>).</summary>
    public void WriteLine(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>Blocks until <see cref="Output"/> after <paramref name="mark"/> contains <paramref name="text"/> or the child exits, at most <paramref name="limit"/>; says whether the text came.</summary>
    public bool WaitForOutput(int mark, string text, TimeSpan limit)
    {
        Waits.TryUntilBlocking(() => Contains(mark, text) || _process.HasExited, limit);
        return Contains(mark, text);
    }

    /// <summary>Waits at most <paramref name="limit"/> for the child to exit; kills it (by pid) and throws with its output when it does not.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{_process.StartInfo.FileName}' did not exit within {limit.TotalSeconds} s; stdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
        _process.WaitForExit(); // the output readers have drained
        return _process.ExitCode;
    }

    /// <summary>Sends <paramref name="signal"/> (a number, as kill(2) takes it) to this child and only it.</summary>
    public void Signal(int signal)
    {
        if (_process.HasExited)
        {
            return; // reaped already: its pid may belong to someone else by now
        }
        if (Interop.Sys.Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Asks the child to end (<paramref name="requestExit"/>), then SIGKILLs it by pid if it has not within 10 s.</summary>
    public void Stop(Action requestExit)
    {
        if (_process.HasExited)
        {
            return;
        }
        requestExit();
        if (!_process.WaitForExit(10_000) && !_process.HasExited)
        {
            Interop.Sys.Kill(_process.Id, Interop.Sys.SIGKILL);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>
    /// SIGKILL to the child and what it started (a <c>timeout</c> wrapper forks its command), as a
    /// crash would end it; waits at most 10 s.
    /// </summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>Kills the child (and what it started) if it still runs, then releases it.</summary>
    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private bool Contains(int mark, string text)
    {
        string output = Output;
        return output.Length > mark && output.AsSpan(mark).Contains(text, StringComparison.Ordinal);
    }

    private string Read(StringBuilder builder)
    {
        lock (_lock)
        {
            return builder.ToString();
        }
    }

    private void Append(StringBuilder stream, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lock)
        {
            stream.Append(line).Append('\n');
            _output.Append(line).Append('\n');
        }
    }
}
