using System.Diagnostics;

namespace Flow.Benchmarks.Infrastructure;

/// <summary>
/// A DPDK example program the benchmarks compare against (l2fwd, l3fwd-graph), built from
/// Debian's dpdk-doc sources by a script of this project and cached by it.
/// </summary>
internal static class DpdkExample
{
    /// <summary>
    /// The binary: <paramref name="variable"/> if set in the environment, else what
    /// <paramref name="script"/> (a path under <c>tests/Flow.Benchmarks</c>, found above the working
    /// directory or the assembly) builds or has cached. Null with a reason when neither works.
    /// </summary>
    public static string? Locate(string script, string variable, out string reason)
    {
        string? configured = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrEmpty(configured))
        {
            reason = File.Exists(configured) ? "" : $"{variable}={configured} does not exist";
            return File.Exists(configured) ? configured : null;
        }
        string? found = Find(Environment.CurrentDirectory, script) ?? Find(AppContext.BaseDirectory, script);
        if (found is null)
        {
            reason = $"tests/Flow.Benchmarks/{script} not found above the working directory (or set {variable})";
            return null;
        }
        using var build = Process.Start(new ProcessStartInfo("/bin/sh", found) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException("cannot run sh");
        Task<string> error = build.StandardError.ReadToEndAsync();
        string output = build.StandardOutput.ReadToEnd().Trim();
        if (!build.WaitForExit(300_000) || build.ExitCode != 0)
        {
            reason = $"{found} failed: {error.Result}";
            return null;
        }
        reason = "";
        return output;
    }

    private static string? Find(string start, string script)
    {
        for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "Flow.Benchmarks", script);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
