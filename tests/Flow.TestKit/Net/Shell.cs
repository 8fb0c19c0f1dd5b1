using System.Diagnostics;

namespace Flow.TestKit;

/// <summary>
/// Runs the real peers of integration tests (ip, tshark, scapy, testpmd) with a time bound.
/// A missing binary or a failing command fails the test with a message naming it.
/// </summary>
public static class Shell
{
    /// <summary>The interpreter that has scapy (Debian's python3-scapy), not a pyenv shim.</summary>
    public const string Python = "/usr/bin/python3";

    private static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(30);

    /// <summary>Runs a command; throws naming the command, exit code and stderr when it fails.</summary>
    public static string Run(string file, params string[] args) => RunWithLimit(DefaultLimit, file, args);

    /// <summary>Runs a command with a time bound; throws when it fails or outlives the bound (it is killed).</summary>
    public static string RunWithLimit(TimeSpan limit, string file, params string[] args)
    {
        ShellResult result = TryRun(limit, file, args);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{file} {string.Join(' ', args)}' exited with {result.ExitCode}: {result.StandardError.Trim()} {result.StandardOutput.Trim()}");
        }
        return result.StandardOutput;
    }

    /// <summary>Runs a command and returns its exit code and output, whatever they are (-1 when it timed out).</summary>
    public static ShellResult TryRun(TimeSpan limit, string file, params string[] args)
    {
        using Process process = Begin(file, args);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new ShellResult(-1, stdout.Result, $"timed out after {limit}: {stderr.Result}");
        }
        process.WaitForExit();
        return new ShellResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts a command with redirected output; the caller owns (and must kill and dispose) it.</summary>
    public static Process Begin(string file, params string[] args)
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
        try
        {
            return Process.Start(info) ?? throw new InvalidOperationException($"could not start '{file}'");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"prerequisite missing: could not start '{file}' ({e.Message})", e);
        }
    }

    /// <summary>Fails (never skips) when the tests do not run as root or a binary is missing.</summary>
    public static void RequireRootAnd(params string[] binaries)
    {
        if (Environment.UserName != "root" && !string.Equals(Environment.GetEnvironmentVariable("USER"), "root", StringComparison.Ordinal))
        {
            if (Run("id", "-u").Trim() != "0")
            {
                throw new InvalidOperationException("prerequisite missing: these tests need root (network namespaces, raw sockets)");
            }
        }
        foreach (string binary in binaries)
        {
            if (!IsInstalled(binary))
            {
                throw new InvalidOperationException($"prerequisite missing: '{binary}' is not installed");
            }
        }
    }

    /// <summary>Fails (never skips) when <paramref name="binary"/> is missing, naming the Debian package that has it.</summary>
    public static void Require(string binary, string package)
    {
        if (!IsInstalled(binary))
        {
            throw new InvalidOperationException($"prerequisite missing: '{binary}' is not installed (apt-get install {package})");
        }
    }

    private static bool IsInstalled(string binary) =>
        File.Exists(binary) || TryRun(DefaultLimit, "sh", "-c", $"command -v {binary}").ExitCode == 0;
}
