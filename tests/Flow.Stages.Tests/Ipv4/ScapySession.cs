using System.Diagnostics;
using System.Text;
using Flow.TestKit;

namespace Flow.Stages.Tests.Ipv4;

/// <summary>
/// One python3 with scapy loaded for the whole test run, running scripts sent to it one at a
/// time: importing scapy takes seconds on a loaded machine, and the router tests ask scapy
/// hundreds of questions. A failing script fails the test with Python's message; a missing
/// python3-scapy fails it naming the package.
/// </summary>
/// <remarks>
/// Line protocol: the test writes a script as base64 on one line; the server answers one line,
/// the script's stdout as base64, or <c>!</c> and the error as base64.
/// </remarks>
internal static class ScapySession
{
    private const string Server = """
        import sys, io, base64, contextlib
        from scapy.all import *
        base = dict(globals())
        for line in sys.stdin:
            out = io.StringIO()
            try:
                with contextlib.redirect_stdout(out):
                    exec(base64.b64decode(line.strip()).decode(), dict(base))
                sys.stdout.write(base64.b64encode(out.getvalue().encode()).decode() + "\n")
            except Exception as e:
                sys.stdout.write("!" + base64.b64encode(repr(e).encode()).decode() + "\n")
            sys.stdout.flush()
        """;

    private static readonly Lock s_lock = new();
    private static Process? s_process;
    private static Task<string>? s_stderr;   // drained all along, so scapy's warnings cannot fill the pipe

    /// <summary>Runs <paramref name="script"/> and returns what it printed.</summary>
    public static string Run(string script)
    {
        lock (s_lock)
        {
            Process process = s_process ??= Start();
            process.StandardInput.WriteLine(Convert.ToBase64String(Encoding.UTF8.GetBytes(script)));
            process.StandardInput.Flush();
            Task<string?> line = process.StandardOutput.ReadLineAsync();
            if (!line.Wait(TimeSpan.FromSeconds(60)) || line.Result is null)
            {
                string error = process.HasExited ? s_stderr!.Result : "no answer in 60 s";
                process.Kill();
                process.Dispose();
                s_process = null;
                throw new InvalidOperationException($"the scapy session ended: {error}");
            }
            string answer = line.Result;
            if (answer.StartsWith('!'))
            {
                throw new InvalidOperationException($"scapy failed: {Encoding.UTF8.GetString(Convert.FromBase64String(answer[1..]))}\nscript:\n{script}");
            }
            return Encoding.UTF8.GetString(Convert.FromBase64String(answer));
        }
    }

    private static Process Start()
    {
        ShellResult check = Shell.TryRun(TimeSpan.FromSeconds(60), Shell.Python, "-c", "import scapy.all");
        if (check.ExitCode != 0)
        {
            throw new InvalidOperationException($"prerequisite missing: {Shell.Python} cannot import scapy (apt-get install -y python3-scapy): {check.StandardError}");
        }
        Process process = Shell.Begin(Shell.Python, "-c", Server);
        s_stderr = process.StandardError.ReadToEndAsync();
        // The session lives as long as the test host; it is ours, so we end it by its handle.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        };
        return process;
    }
}
