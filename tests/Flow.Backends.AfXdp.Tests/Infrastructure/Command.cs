using System.Diagnostics;
using System.Text;

namespace Flow.Backends.AfXdp.Tests.Infrastructure;

/// <summary>Runs a command with a bounded wait and hands back its exit code and output.</summary>
internal static class Command
{
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError);

    public static Result Run(string file, string arguments, TimeSpan? timeout = null)
    {
        using Process process = Start(file, arguments);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{file} {arguments}' did not finish within {(timeout ?? TimeSpan.FromSeconds(30)).TotalSeconds} s");
        }
        process.WaitForExit();
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs and fails with the command's output when it exits non-zero.</summary>
    public static string Check(string file, string arguments, TimeSpan? timeout = null)
    {
        Result result = Run(file, arguments, timeout);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{file} {arguments}' exited {result.ExitCode}: {result.StandardError}{result.StandardOutput}");
        }
        return result.StandardOutput;
    }

    public static Process Start(string file, string arguments)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
    }

    /// <summary>Fails with a message naming <paramref name="binary"/> when it is not on PATH.</summary>
    public static void Require(string binary, string package)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            if (File.Exists(Path.Combine(dir, binary)))
            {
                return;
            }
        }
        throw new InvalidOperationException($"prerequisite missing: '{binary}' is not on PATH (apt-get install {package})");
    }
}
