using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Flow.Benchmarks.Infrastructure;

/// <summary>
/// A peer program the benchmarks start (testpmd, l2fwd): run through <c>stdbuf</c> so its
/// output arrives line by line, stdout and stderr collected in <see cref="Output"/>, ended by
/// its pid only.
/// </summary>
internal sealed partial class CapturedProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private CapturedProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Starts <paramref name="program"/> unbuffered (stdout is a pipe), with stdin open when <paramref name="withInput"/>.</summary>
    public static CapturedProcess Start(string program, string arguments, bool withInput = false)
    {
        var info = new ProcessStartInfo("/usr/bin/stdbuf", $"-o0 -e0 {program} {arguments}")
        {
            RedirectStandardInput = withInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        return new CapturedProcess(Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start"));
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public void WriteLine(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>Asks the program to end (<paramref name="requestExit"/>), then SIGKILLs it by pid if it has not within 10 s.</summary>
    public void Stop(Action requestExit)
    {
        if (_process.HasExited)
        {
            return;
        }
        requestExit();
        if (!_process.WaitForExit(10_000))
        {
            Signal(9);
            _process.WaitForExit(10_000);
        }
    }

    public void Signal(int signal) => Kill(_process.Id, signal);

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    public void Dispose() => _process.Dispose();
}
