using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Flow.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Flow.Cli;

/// <summary>
/// <c>flow demo router</c>: runs the embedded <c>pipelines/router.json</c> between a LAN host and
/// an ISP (<see cref="RouterDemoNetwork"/>) as a home router does: Flow takes its WAN address from
/// the ISP's dnsmasq, leases the LAN host its address from its own DHCP server, and NATs the LAN
/// host's traffic to the ISP's web server; a port mapping lets the ISP side reach the LAN host's
/// web service. Live stats while the checks and pings run, then the leases, the NAT sessions and
/// a pass/fail line per check. Cleans up in every case: the run ends, Ctrl-C, SIGTERM or an exception.
/// </summary>
internal static class RouterDemo
{
    private const string ResourceName = "Flow.Cli.pipelines.router.json";
    private const string WanMac = "02:00:00:00:02:01";
    private const int MappedPort = 8080;

    public static async Task<int> RunAsync(double duration, bool verbose)
    {
        if (duration is <= 0 or > 86400 || !double.IsFinite(duration))
        {
            CliOutput.Error($"--duration must be a positive number of seconds, not {duration}");
            return ExitCodes.Usage;
        }
        if (!Environment.IsPrivilegedProcess)
        {
            CliOutput.Error("demo router needs root (network namespaces): it creates two namespaces, veth pairs and runs dnsmasq in one. " +
                "Run it with sudo, or try the demo that needs no root: flow run pipelines/generator_demo.json --duration 5 --stats");
            return ExitCodes.NeedsPrivilege;
        }
        (string? busybox, string? dnsmasq, string? missing) = DemoTools.Require();
        if (missing is not null)
        {
            CliOutput.Error($"demo router: {missing}");
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
        var network = new RouterDemoNetwork();
        try
        {
            Console.WriteLine($"flow demo router: LAN host in namespace {network.Lan}, ISP in {network.Isp}, router ports lan and wan on veths {network.LanPort} and {network.WanPort} (af_packet)");
            network.Create(busybox!, dnsmasq!, stop.Token);
            return await RunRouterAsync(network, busybox!, duration, verbose, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }
        catch (InvalidOperationException e)
        {
            CliOutput.Error($"demo router: {e.Message}");
            return ExitCodes.DemoFailed;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            network.Dispose();
            Console.WriteLine($"flow demo router: cleaned up: namespaces {network.Lan} and {network.Isp}, veths {network.LanPort} and {network.WanPort}, dnsmasq and the web servers");
        }
    }

    private static async Task<int> RunRouterAsync(RouterDemoNetwork network, string busybox, double duration, bool verbose, CancellationToken stop)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["backend"] = "af_packet",
            ["lan.interface"] = network.LanPort,
            ["wan.interface"] = network.WanPort,
            ["wan.mac"] = WanMac,
            ["wan.address"] = "dhcp",
            ["routes"] = "[]",
            ["nat.enabled"] = "true",
            ["lan.dhcp_server.enabled"] = "true",
            // Small rings and pools: two ports of a demo, not line rate.
            ["lan.af_packet"] = """{ "pool_frames": 1024, "block_count": 8 }""",
            ["wan.af_packet"] = """{ "pool_frames": 1024, "block_count": 8 }""",
        };
        await using ServiceProvider services = FlowCliServices.Create(verbose);
        FlowGraph graph;
        try
        {
            graph = services.GetRequiredService<GraphFileLoader>().LoadText(ReadEmbeddedGraph(), "router.json (embedded)", null, parameters);
        }
        catch (GraphFileException e)
        {
            foreach (GraphFileError error in e.Errors)
            {
                Console.Error.WriteLine(error.ToString());
            }
            CliOutput.Error("the embedded router graph did not load");
            return ExitCodes.GraphInvalid;
        }
        await using (graph)
        {
            var clock = Stopwatch.StartNew();
            graph.Start();
            var checks = new List<DemoCheck>();
            Task scenario = RunChecksAsync(graph, network, busybox, checks, TimeSpan.FromSeconds(duration), stop);
            await DemoStats.ShowAsync(graph, scenario, clock);
            await scenario;
            try
            {
                ControlReply? leases = graph.State == GraphState.Running ? await TryControlAsync(graph, "dhcp leases") : null;
                ControlReply? sessions = graph.State == GraphState.Running ? await TryControlAsync(graph, "nat sessions") : null;
                await graph.StopAsync(drain: true).WaitAsync(TimeSpan.FromSeconds(30));
                await graph.Completion;
                GraphStats final = graph.GetStats();
                if (Console.IsOutputRedirected)
                {
                    StatsView.WriteFinalPlain(Console.Out, final, clock.Elapsed);
                }
                else
                {
                    AnsiConsole.Write(StatsView.FinalTable(final, clock.Elapsed));
                }
                WriteReply("DHCP leases (flow ctl dhcp leases)", leases);
                WriteReply("NAT sessions (flow ctl nat sessions)", sessions);
                int failed = WriteSummary(checks, stop.IsCancellationRequested);
                if (stop.IsCancellationRequested)
                {
                    return ExitCodes.Success;
                }
                return failed == 0 && final.IsBalanced ? ExitCodes.Success : ExitCodes.DemoFailed;
            }
            catch (StageFaultException e)
            {
                CliOutput.Error($"stage '{e.Stage}' on worker {e.Worker} faulted: {e.InnerException?.GetType().Name}: {e.InnerException?.Message}");
                return ExitCodes.GraphFaulted;
            }
        }
    }

    /// <summary>
    /// The home-router story, one check at a time (a check that needs an earlier one's result is
    /// failed with the reason when that one failed); then pings across until the duration ends.
    /// </summary>
    private static async Task RunChecksAsync(FlowGraph graph, RouterDemoNetwork network, string busybox, List<DemoCheck> checks, TimeSpan duration,
        CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        await Task.Yield();

        string? wan = await PollAsync(() => network.WanLease(WanMac), TimeSpan.FromSeconds(30), stop);
        // dnsmasq records the lease when it ACKs; the router uses the address (and passes the
        // ISP's DNS servers on) only once its ARP check found no other host on it.
        bool bound = wan is not null && await WanClientBoundAsync(graph, TimeSpan.FromSeconds(10), stop);
        checks.Add(new DemoCheck("WAN address from the ISP's dnsmasq (DHCP client)", bound,
            wan is null ? "no lease in 30 s" : bound ? wan : $"{wan} leased, but the router's client did not bind it in 10 s"));

        var lease = await Task.Run(() => network.LeaseLanHost(busybox), stop);
        checks.Add(new DemoCheck("LAN host's address from Flow's DHCP server", lease is not null,
            lease is { } l ? $"{l.Address}, router {l.Router}, dns {l.Dns}" : "udhcpc got no lease"));
        if (lease is { } got)
        {
            checks.Add(new DemoCheck("ISP's DNS server passed on to the LAN host", got.Dns.Split(' ').Contains(RouterDemoNetwork.IspDns),
                $"dns {got.Dns}, the ISP gave {RouterDemoNetwork.IspDns}"));
        }
        if (!bound || lease is null)
        {
            return;
        }

        (int pingCode, string pingOutput, _) = await Task.Run(() => HostCommand.TryRun(TimeSpan.FromSeconds(15), "ip", "netns", "exec", network.Lan,
            busybox, "ping", "-c", "3", "-W", "2", RouterDemoNetwork.IspAddress), stop);
        checks.Add(new DemoCheck($"LAN host pings the ISP ({RouterDemoNetwork.IspAddress}) through NAT", pingCode == 0, LastLine(pingOutput)));

        string? page = await Task.Run(() => network.Fetch(network.Lan, busybox, $"http://{RouterDemoNetwork.IspAddress}/"), stop);
        checks.Add(new DemoCheck("LAN host fetches the WAN server's page through NAT", page == RouterDemoNetwork.WanServerPage, page?.Trim() ?? "no page"));

        ControlReply? added = await TryControlAsync(graph, "nat mappings add", ("protocol", "tcp"), ("external_port", MappedPort.ToString(CultureInfo.InvariantCulture)),
            ("internal", $"{lease.Value.Address}:8000"));
        checks.Add(new DemoCheck($"port mapping tcp {wan}:{MappedPort} → {lease.Value.Address}:8000 (flow ctl nat mappings add)", added is not null, added?.Message ?? "refused"));
        string? mapped = await Task.Run(() => network.Fetch(network.Isp, busybox, $"http://{wan}:{MappedPort}/"), stop);
        checks.Add(new DemoCheck("ISP side reaches the LAN service by the port mapping", mapped == RouterDemoNetwork.LanServicePage, mapped?.Trim() ?? "no page"));

        int sent = 0, received = 0;
        while (!stop.IsCancellationRequested && clock.Elapsed + TimeSpan.FromSeconds(1) <= duration)
        {
            (int code, string output, _) = await Task.Run(() => HostCommand.TryRun(TimeSpan.FromSeconds(5), "ip", "netns", "exec", network.Lan,
                busybox, "ping", "-c", "2", "-i", "0.2", "-W", "1", "-q", RouterDemoNetwork.IspAddress), CancellationToken.None);
            sent += 2;
            received += code == 0 && output.Contains("2 packets received", StringComparison.Ordinal) ? 2 : code == 0 ? 1 : 0;
        }
        if (sent > 0)
        {
            checks.Add(new DemoCheck("pings across until the duration ended", received > 0, $"{received}/{sent} replies"));
        }
    }

    /// <summary>Waits until the router's dhcp_client is BOUND, as <c>dhcp show</c> tells.</summary>
    private static async Task<bool> WanClientBoundAsync(FlowGraph graph, TimeSpan limit, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            if (await TryControlAsync(graph, "dhcp show") is { } reply && reply.Rows.Any(r => r is [_, "client", "state", "bound"]))
            {
                return true;
            }
            await Task.Delay(200, stop);
        }
        return false;
    }

    private static async Task<string?> PollAsync(Func<string?> probe, TimeSpan limit, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            if (probe() is { } found)
            {
                return found;
            }
            await Task.Delay(200, stop);
        }
        return null;
    }

    /// <summary>A control command of the router as <c>flow ctl</c> would run it; null when it failed or nobody serves it.</summary>
    private static async Task<ControlReply?> TryControlAsync(FlowGraph graph, string command, params (string Name, string Value)[] arguments)
    {
        var served = graph.Stages.Where(s => graph.GetStage<Stage>(s.Name) is IControlledStage controlled && controlled.ControlCommands.Any(c => c.Name == command))
            .Select(s => s.Name).ToList();
        if (served.Count == 0)
        {
            return null;
        }
        IControlCommand handler = ((IControlledStage)graph.GetStage<Stage>(served[0])).ControlCommands.Single(c => c.Name == command);
        try
        {
            return await handler.ExecuteAsync(new ControlRequest(graph, command, arguments.ToDictionary(a => a.Name, a => a.Value), servedBy: served), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is ControlCommandException or TimeoutException)
        {
            return null;
        }
    }

    private static void WriteReply(string title, ControlReply? reply)
    {
        Console.WriteLine();
        Console.WriteLine($"{title}:");
        if (reply is null)
        {
            Console.WriteLine("  (not available)");
            return;
        }
        int[] widths = reply.Columns.Select((c, i) => Math.Max(c.Length, reply.Rows.Select(r => r[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        void Line(IReadOnlyList<string> cells)
        {
            var line = new StringBuilder("  ");
            for (int i = 0; i < cells.Count; i++)
            {
                line.Append(i == cells.Count - 1 ? cells[i] : cells[i].PadRight(widths[i] + 2));
            }
            Console.WriteLine(line.ToString().TrimEnd());
        }
        if (reply.Columns.Count > 0)
        {
            Line([.. reply.Columns.Select(c => c.ToUpperInvariant())]);
            foreach (IReadOnlyList<string> row in reply.Rows)
            {
                Line(row);
            }
        }
        if (reply.Message is not null)
        {
            Console.WriteLine("  " + reply.Message);
        }
    }

    /// <summary>Prints each check; returns how many failed.</summary>
    private static int WriteSummary(List<DemoCheck> checks, bool interrupted)
    {
        Console.WriteLine();
        Console.WriteLine($"Checks{(interrupted ? " (interrupted)" : "")}:");
        foreach (DemoCheck check in checks)
        {
            Console.WriteLine($"  {(check.Passed ? "pass" : "FAIL")}  {check.Label}: {check.Detail}");
        }
        int failed = checks.Count(c => !c.Passed);
        Console.WriteLine(failed == 0 && checks.Count > 0
            ? $"router demo: all {checks.Count} checks passed"
            : $"router demo: {failed} of {checks.Count} checks FAILED");
        return failed == 0 && checks.Count > 0 ? 0 : Math.Max(failed, 1);
    }

    private static string LastLine(string output) => output.Trim().Split('\n').LastOrDefault()?.Trim() ?? "";

    private static string ReadEmbeddedGraph()
    {
        using Stream stream = typeof(RouterDemo).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"resource {ResourceName} is missing from flow (see Flow.Cli.csproj)");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private sealed record DemoCheck(string Label, bool Passed, string Detail);
}
