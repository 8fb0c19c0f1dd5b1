using System.Diagnostics;

namespace Flow.Cli;

/// <summary>Runs the host tools the demo needs (ip, ping), bounded in time; a failure names the command.</summary>
internal static class HostCommand
{
    /// <summary>Runs a command and returns its exit code and output, whatever they are (-1 when it outlived <paramref name="limit"/> and was killed).</summary>
    public static (int ExitCode, string Stdout, string Stderr) TryRun(TimeSpan limit, string file, params string[] args)
    {
        using Process process = Start(file, args);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            Kill(process);
            return (-1, stdout.Result, $"timed out after {limit.TotalSeconds:0} s: {stderr.Result}");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a command; throws <see cref="InvalidOperationException"/> naming it when it fails.</summary>
    public static string Run(string file, params string[] args)
    {
        (int code, string stdout, string stderr) = TryRun(TimeSpan.FromSeconds(20), file, args);
        if (code != 0)
        {
            throw new InvalidOperationException($"'{file} {string.Join(' ', args)}' failed ({code}): {stderr.Trim()}");
        }
        return stdout;
    }

    /// <summary>Starts a command with its output redirected; the caller owns the process.</summary>
    public static Process Start(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start '{file}'");
    }

    /// <summary>Kills a process this program started (by its handle, never by name) and waits for it.</summary>
    public static void Kill(Process process)
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
            // It exited between the check and the kill.
        }
    }

    /// <summary>The path of <paramref name="binary"/> on PATH, or null.</summary>
    public static string? Find(string binary)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':'))
        {
            string candidate = Path.Combine(directory, binary);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
