using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Flow.Hosting;
using Flow.Stages.Switching;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Flow.Cli;

/// <summary>
/// <c>flow demo switch</c>: runs the embedded <c>pipelines/switch.json</c> on four namespaced
/// Linux hosts (<see cref="DemoNetwork"/>), pings between them in rounds until the duration
/// ends, shows live stats, then prints the MAC table, the final stats and a ping summary that
/// says whether every pair behaved as its VLANs say it should. Cleans up in every case: the
/// run ends, Ctrl-C, SIGTERM or an exception.
/// </summary>
internal static partial class SwitchDemo
{
    private const string ResourceName = "Flow.Cli.pipelines.switch.json";

    public static async Task<int> RunAsync(double duration, string backend, bool verbose)
    {
        if (duration is <= 0 or > 86400 || !double.IsFinite(duration))
        {
            CliOutput.Error($"--duration must be a positive number of seconds, not {duration}");
            return ExitCodes.Usage;
        }
        if (!Environment.IsPrivilegedProcess)
        {
            CliOutput.Error("demo switch needs root (network namespaces): it creates four namespaces and veth pairs. " +
                "Run it with sudo, or try the demo that needs no root: flow run pipelines/generator_demo.json --duration 5 --stats");
            return ExitCodes.NeedsPrivilege;
        }
        string? ip = HostCommand.Find("ip");
        string? ping = HostCommand.Find("ping") ?? HostCommand.Find("busybox");
        if (ip is null || ping is null)
        {
            CliOutput.Error($"demo switch needs {(ip is null ? "'ip' (iproute2)" : "")}{(ip is null && ping is null ? " and " : "")}{(ping is null ? "'ping' (iputils-ping or busybox)" : "")} on PATH");
            return ExitCodes.NeedsPrivilege;
        }

        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            Console.Error.WriteLine("flow: interrupted: stopping the demo and cleaning up");
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            Console.Error.WriteLine("flow: terminated: stopping the demo and cleaning up");
            stop.Cancel();
        });
        using PosixSignalRegistration sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        var network = new DemoNetwork();
        try
        {
            Console.WriteLine($"flow demo switch: hosts h1..h4 in namespaces flow-demo-{network.Id}-h1..h4, switch ports p1..p4 on veths fd{network.Id}s1..s4 ({backend})");
            network.Create(stop.Token);
            if (network.VlanNote.Length > 0)
            {
                Console.WriteLine($"flow demo switch: note: {network.VlanNote}");
            }
            return await RunSwitchAsync(network, duration, backend, ping, verbose, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }
        catch (InvalidOperationException e)
        {
            CliOutput.Error($"demo switch: {e.Message}");
            return ExitCodes.DemoFailed;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            network.Dispose();
            Console.WriteLine($"flow demo switch: cleaned up: namespaces flow-demo-{network.Id}-h1..h4 and veths fd{network.Id}s1..s4 removed");
        }
    }

    private static async Task<int> RunSwitchAsync(DemoNetwork network, double duration, string backend, string ping, bool verbose, CancellationToken stop)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal) { ["backend"] = backend };
        for (int i = 0; i < DemoNetwork.Hosts; i++)
        {
            parameters[$"p{i + 1}.interface"] = network.SwitchSide[i];
            // Small rings and pools: four ports of a demo, not line rate.
            parameters[$"p{i + 1}.af_packet"] = """{ "pool_frames": 1024, "block_count": 8 }""";
            parameters[$"p{i + 1}.af_xdp"] = """{ "frame_count": 2048, "ring_size": 512 }""";
        }
        await using ServiceProvider services = FlowCliServices.Create(verbose);
        FlowGraph graph;
        try
        {
            graph = services.GetRequiredService<GraphFileLoader>().LoadText(ReadEmbeddedGraph(), "switch.json (embedded)", null, parameters);
        }
        catch (GraphFileException e)
        {
            foreach (GraphFileError error in e.Errors)
            {
                Console.Error.WriteLine(error.ToString());
            }
            CliOutput.Error("the embedded switch graph did not load");
            return ExitCodes.GraphInvalid;
        }
        await using (graph)
        {
            var control = new SwitchControl(graph);
            var checks = PingCheck.For(network);
            var clock = Stopwatch.StartNew();
            graph.Start();
            Task<int> pinging = PingRoundsAsync(network, checks, ping, TimeSpan.FromSeconds(duration), stop);
            await DemoStats.ShowAsync(graph, pinging, clock);
            int rounds = await pinging;
            try
            {
                IReadOnlyList<MacEntry> table = graph.State == GraphState.Running ? await control.ShowMacTableAsync() : [];
                await graph.StopAsync(drain: true).WaitAsync(TimeSpan.FromSeconds(30));
                await graph.Completion;
                return Report(network, graph, checks, table, rounds, clock.Elapsed, stop.IsCancellationRequested);
            }
            catch (StageFaultException e)
            {
                CliOutput.Error($"stage '{e.Stage}' on worker {e.Worker} faulted: {e.InnerException?.GetType().Name}: {e.InnerException?.Message}");
                return ExitCodes.GraphFaulted;
            }
        }
    }

    /// <summary>Final stats, the MAC table and the ping summary; the exit code they make.</summary>
    private static int Report(DemoNetwork network, FlowGraph graph, List<PingCheck> checks, IReadOnlyList<MacEntry> table, int rounds, TimeSpan elapsed,
        bool interrupted)
    {
        GraphStats final = graph.GetStats();
        if (Console.IsOutputRedirected)
        {
            StatsView.WriteFinalPlain(Console.Out, final, elapsed);
        }
        else
        {
            AnsiConsole.Write(StatsView.FinalTable(final, elapsed));
        }
        WriteMacTable(network, table);
        int unexpected = WritePingSummary(checks, rounds, interrupted);
        if (interrupted)
        {
            return ExitCodes.Success;
        }
        return unexpected == 0 && final.IsBalanced ? ExitCodes.Success : ExitCodes.DemoFailed;
    }

    private static string ReadEmbeddedGraph()
    {
        using Stream stream = typeof(SwitchDemo).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"resource {ResourceName} is missing from flow (see Flow.Cli.csproj)");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// Rounds of pings (each pair at once, 2 echoes, at most 3 s) while a second of
    /// <paramref name="duration"/> is left (at least one round); returns the rounds done.
    /// </summary>
    private static async Task<int> PingRoundsAsync(DemoNetwork network, List<PingCheck> checks, string ping, TimeSpan duration, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        int rounds = 0;
        do
        {
            await Task.WhenAll(checks.Select(c => PingAsync(network, c, ping, stop)));
            if (stop.IsCancellationRequested)
            {
                break;
            }
            rounds++;
        }
        while (clock.Elapsed + TimeSpan.FromSeconds(1) <= duration);
        return rounds;
    }

    private static async Task PingAsync(DemoNetwork network, PingCheck check, string ping, CancellationToken stop)
    {
        string[] pingArgs = ["-c", "2", "-i", "0.2", "-W", "1", "-w", "3", "-q", check.Address];
        using Process process = HostCommand.Start("ip", ["netns", "exec", network.Namespaces[check.From],
            ping, .. (Path.GetFileName(ping) == "busybox" ? (string[])["ping", .. pingArgs] : pingArgs)]);
        Task<string> output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(stop).WaitAsync(TimeSpan.FromSeconds(10), stop);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            HostCommand.Kill(process);
            return;
        }
        Match counts = PingCounts().Match(await output);
        if (counts.Success)
        {
            check.Add(int.Parse(counts.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(counts.Groups[2].Value, CultureInfo.InvariantCulture));
        }
    }

    private static void WriteMacTable(DemoNetwork network, IReadOnlyList<MacEntry> table)
    {
        Console.WriteLine();
        Console.WriteLine($"MAC table ({table.Count} entries, learned by stage 'learn'):");
        Console.WriteLine("  vlan  mac                port  host  age");
        foreach (MacEntry entry in table.OrderBy(e => e.Vlan).ThenBy(e => e.Port, StringComparer.Ordinal))
        {
            string mac = entry.Mac.ToString();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {entry.Vlan,-4}  {mac,-17}  {entry.Port,-4}  {network.HostOf(mac) ?? "?",-4}  {(entry.IsStatic ? "static" : $"{entry.Age.TotalSeconds:0}s")}"));
        }
    }

    /// <summary>Prints each pair's result and a closing line; returns how many pairs did not behave as expected.</summary>
    private static int WritePingSummary(List<PingCheck> checks, int rounds, bool interrupted)
    {
        Console.WriteLine();
        Console.WriteLine($"Pings ({rounds} round{(rounds == 1 ? "" : "s")} of 2 echoes per pair{(interrupted ? ", interrupted" : "")}):");
        int unexpected = 0;
        foreach (PingCheck check in checks)
        {
            bool asExpected = check.Sent > 0 && (check.ShouldReach ? check.Received > 0 : check.Received == 0);
            unexpected += asExpected ? 0 : 1;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {check.Label,-38} {check.Received,3}/{check.Sent,-3} replies  {(asExpected ? "ok" : "UNEXPECTED")} ({(check.ShouldReach ? "same VLAN: should answer" : "other VLAN: must stay silent")})"));
        }
        int reachable = checks.Count(c => c.ShouldReach);
        Console.WriteLine(unexpected == 0
            ? $"ping summary: all {checks.Count} checks as expected: {reachable} same-VLAN pairs answered, {checks.Count - reachable} cross-VLAN pairs stayed isolated"
            : $"ping summary: {unexpected} of {checks.Count} checks NOT as expected");
        return unexpected;
    }

    // iputils: "2 packets transmitted, 2 received"; busybox: "2 packets transmitted, 2 packets received".
    [GeneratedRegex(@"(\d+) packets transmitted, (\d+) (?:packets )?received")]
    private static partial Regex PingCounts();
}
