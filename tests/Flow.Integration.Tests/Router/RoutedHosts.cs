using Flow.Backends.AfPacket;
using Flow.Backends.Memif;
using Flow.Stages.Routing;
using Flow.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Integration.Tests.Router;

/// <summary>
/// pipelines/router.json between two Linux hosts in private namespaces, on the backend the test
/// names (research 1.3's topology):
/// <code>
///  ns lan  192.168.1.10/24, default via .1 ─── lan  192.168.1.1/24  ┐
///                                                                   ├ router.json
///  ns wan  192.168.100.1/24, 198.51.100.1 on lo ─── wan  192.168.100.2/24 ┘  (default via 192.168.100.1)
/// </code>
/// af_packet and af_xdp: the router runs on the root ends of two veths; tap: on TAP interfaces it
/// creates, moved into the hosts' namespaces; memif: on memif clients, with a Flow graph serving
/// both interfaces and relaying each to its veth over AF_PACKET. The router-side ends have no
/// addresses, no IPv6 and forward nothing: the kernel is only the hosts. Everything is removed
/// in <see cref="NetnsHostFixture.Dispose"/>, also when construction fails.
/// </summary>
internal sealed class RoutedHosts : NetnsHostFixture
{
    public const string LanHost = "192.168.1.10";
    public const string LanRouter = "192.168.1.1";
    public const string WanHost = "192.168.100.1";
    public const string WanRouter = "192.168.100.2";
    public const string Beyond = "198.51.100.1";

    public const string Wan2Host = "192.168.200.1";
    public const string Wan2Router = "192.168.200.2";
    public const string Beyond2 = "198.51.100.2";

    private readonly Dictionary<string, string> _hostDevices = [];
    private readonly bool _dualWan;
    private ServiceProvider? _services;

    /// <param name="backend">
    /// af_packet, af_xdp, tap, memif or dpdk (net_af_packet on the veths, like af_packet); with
    /// <c>:N</c> (<c>af_packet:2</c>) router.json runs at N shards.
    /// </param>
    /// <param name="parameters">More <c>--set</c> overrides (wan.mtu, routes, arp timers).</param>
    /// <param name="withDmz">
    /// A third port, dmz 192.168.200.2/24 (<see cref="RouterJson.WithDmz"/>), on the same backend,
    /// to a third host, 192.168.200.1, which also holds <see cref="Beyond"/> (a second way there).
    /// </param>
    /// <param name="reloadableFile">A router graph file to load through a <see cref="Reloader"/> instead of router.json (not with <paramref name="withDmz"/>).</param>
    /// <param name="dualWan">
    /// router-dual-wan.json instead of router.json: the third port is wan2 (192.168.200.2/24, the
    /// second NAT's outside) to a third host, 192.168.200.1, its gateway, which holds
    /// <see cref="Beyond2"/>; neither WAN host has a route to the lan (only the NATs connect it).
    /// </param>
    public RoutedHosts(string backend, IReadOnlyDictionary<string, string>? parameters = null, bool withDmz = false, string? reloadableFile = null, bool dualWan = false)
    {
        Shell.RequireRootAnd("ip", "ping");
        try
        {
            Lan = Own(new NetnsFixture("rl"));
            Wan = Own(new NetnsFixture("rw"));
            Dmz = withDmz || dualWan ? Own(new NetnsFixture("rd")) : null;
            _dualWan = dualWan;
            var ports = new List<(string Name, NetnsFixture Host)> { ("lan", Lan), ("wan", Wan) };
            if (Dmz is not null)
            {
                ports.Add((dualWan ? "wan2" : "dmz", Dmz));
            }
            var set = new Dictionary<string, string>();
            if (backend.Split(':') is [string named, string shards])
            {
                backend = named;
                set["shards"] = shards;
            }
            set["backend"] = backend;
            var routerDevices = new List<string>();
            foreach ((string name, NetnsFixture host) in ports)
            {
                (string routerDevice, string hostDevice) = backend == "tap" ? TapNames(name) : WireVeth(name, host);
                routerDevices.Add(routerDevice);
                _hostDevices[name] = hostDevice;
                if (backend != "memif")
                {
                    set[name + ".interface"] = routerDevice;
                    set[name + ".af_packet"] = """{ "pool_frames": 1024, "block_count": 8 }""";
                }
            }
            if (backend == "memif")
            {
                string socket = $"/run/flow-test-router-{Environment.ProcessId}-{Guid.NewGuid():N}.sock";
                set["memif_socket"] = socket;
                Relay = Own(BuildRelay(socket, ports.Select(p => p.Name).ToList(), routerDevices));
            }
            foreach ((string key, string value) in parameters ?? new Dictionary<string, string>())
            {
                set[key] = value;
            }
            FlowGraph graph;
            if (reloadableFile is not null)
            {
                (graph, _services, Reloader) = RouterJson.LoadReloadable(reloadableFile, set);
            }
            else
            {
                (graph, _services) = RouterJson.Load(set, withDmz, dualWan ? RouterJson.DualWanPath : null);
            }
            Graph = Own(graph);
            if (backend == "tap")
            {
                // The router holds the TAP fds; the interfaces move into the hosts' namespaces.
                foreach ((string name, NetnsFixture host) in ports)
                {
                    Shell.Run("ip", "link", "set", _hostDevices[name], "netns", host.Name);
                }
            }
            ConfigureHosts();
            Relay?.Start();
            Graph.Start();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public NetnsFixture Lan { get; } = null!;

    public NetnsFixture Wan { get; } = null!;

    /// <summary>The third host, with <c>withDmz</c> (dmz) or <c>dualWan</c> (wan2); null otherwise.</summary>
    public NetnsFixture? Dmz { get; }

    /// <summary>The hosts' interfaces toward the router (veth ends or TAP interfaces).</summary>
    public string LanDevice => _hostDevices["lan"];

    public string WanDevice => _hostDevices["wan"];

    public string DmzDevice => _hostDevices[_dualWan ? "wan2" : "dmz"];

    /// <summary>memif only: the graph serving the router's memif ports and relaying them to the veths.</summary>
    public FlowGraph? Relay { get; }

    /// <summary>Reloads the router's graph file (with <c>reloadableFile</c>); null otherwise.</summary>
    public Hosting.GraphFileReloader? Reloader { get; }

    /// <summary>The route table the router's lookups share.</summary>
    public Ipv4RouteTable Routes => _services!.GetRequiredService<Ipv4RouteTable>();

    /// <summary>Runs a control command of the router as <c>flow ctl</c> would, with its arguments by name (and <c>--stage</c> when several stages serve it).</summary>
    public async Task<ControlReply> ControlAsync(string command, IReadOnlyDictionary<string, string> arguments, string? stage = null)
    {
        var served = Graph.Stages.Where(s => Graph.GetStage<Stage>(s.Name) is IControlledStage controlled && controlled.ControlCommands.Any(c => c.Name == command))
            .Select(s => s.Name).ToList();
        IControlCommand handler = ((IControlledStage)Graph.GetStage<Stage>(served[0])).ControlCommands.Single(c => c.Name == command);
        return await handler.ExecuteAsync(new ControlRequest(Graph, command, arguments, stage, servedBy: served), CancellationToken.None);
    }

    /// <summary>True when <paramref name="ns"/> gets <paramref name="count"/> echo replies from <paramref name="address"/>.</summary>
    public static bool Ping(NetnsFixture ns, string address, int count = 3, int size = 56) =>
        ns.TryExec(TimeSpan.FromSeconds(10 + count), "ping", "-n", "-c", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", "0.2", "-W", "3",
            "-s", size.ToString(System.Globalization.CultureInfo.InvariantCulture), address).ExitCode == 0;

    /// <summary>Stops the router, then the memif relay (if any); returns the router's statistics.</summary>
    public override async Task<GraphStats> StopAsync()
    {
        GraphStats stats = await base.StopAsync();
        if (Relay is { State: GraphState.Running })
        {
            await Relay.StopAsync(drain: true).WaitAsync(TimeSpan.FromSeconds(30));
        }
        return stats;
    }

    /// <summary>A veth from the root namespace (the router's end) to <paramref name="host"/>.</summary>
    private (string Router, string Host) WireVeth(string port, NetnsFixture host)
    {
        VethPair veth = Own(new VethPair(host, "r" + port[0]));
        HostOffloads.DisableTxChecksum(host, veth.PeerName);
        return (veth.HostName, veth.PeerName);
    }

    /// <summary>tap: the router creates the interface, under the same name on both sides.</summary>
    private static (string Router, string Host) TapNames(string port)
    {
        string name = NetnsFixture.UniqueName("t" + port[0], 15);
        return (name, name);
    }

    private void ConfigureHosts()
    {
        foreach ((NetnsFixture ns, string device) in new[] { (Lan, LanDevice), (Wan, WanDevice) })
        {
            ns.Exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
            ns.Exec("ip", "link", "set", "lo", "up");
            ns.Exec("ip", "link", "set", device, "up");
        }
        Lan.Exec("ip", "addr", "add", LanHost + "/24", "dev", LanDevice);
        Lan.Exec("ip", "route", "add", "default", "via", LanRouter);
        Wan.Exec("ip", "addr", "add", WanHost + "/24", "dev", WanDevice);
        Wan.Exec("ip", "addr", "add", Beyond + "/32", "dev", "lo");
        if (!_dualWan)
        {
            Wan.Exec("ip", "route", "add", "192.168.1.0/24", "via", WanRouter);
        }
        if (Dmz is not null)
        {
            Dmz.Exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
            Dmz.Exec("ip", "link", "set", "lo", "up");
            Dmz.Exec("ip", "link", "set", DmzDevice, "up");
            Dmz.Exec("ip", "addr", "add", Wan2Host + "/24", "dev", DmzDevice);
            Dmz.Exec("ip", "addr", "add", (_dualWan ? Beyond2 : Beyond) + "/32", "dev", "lo");
            if (!_dualWan)
            {
                Dmz.Exec("ip", "route", "add", "192.168.1.0/24", "via", Wan2Router);
            }
        }
    }

    /// <summary>memif server for interface ids 1, 2, 3 (lan, wan, dmz), each relayed to its veth's root end over AF_PACKET.</summary>
    private static FlowGraph BuildRelay(string socket, IReadOnlyList<string> ports, IReadOnlyList<string> veths)
    {
        var builder = new GraphBuilder().Worker(0, idle: IdlePolicy.SpinThenSleep());
        for (int i = 0; i < ports.Count; i++)
        {
            string name = ports[i];
            var memif = new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = (uint)(i + 1), Name = "relay-" + name };
            var wire = new AfPacketOptions { Interface = veths[i], InputPort = (ushort)i, PoolFrames = 1024, BlockCount = 8 };
            builder.Add($"{name}_memif_rx", new MemifRx(memif)).Add($"{name}_memif_tx", new MemifTx(memif))
                .Add($"{name}_wire_rx", new AfPacketRx(wire)).Add($"{name}_wire_tx", new AfPacketTx(wire))
                .Connect($"{name}_memif_rx", $"{name}_wire_tx")
                .Connect($"{name}_wire_rx", $"{name}_memif_tx");
        }
        return builder.Build();
    }

    /// <summary>Removes what the fixture owns, then the graph file's service provider.</summary>
    public override void Dispose()
    {
        base.Dispose();
        _services?.Dispose();
    }
}
