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

    private ServiceProvider? _services;

    /// <param name="backend">af_packet, af_xdp, tap or memif.</param>
    /// <param name="parameters">More <c>--set</c> overrides (wan.mtu, routes, arp timers).</param>
    /// <param name="withDmz">
    /// af_packet only: a third port, dmz 192.168.200.2/24 (<see cref="RouterJson.WithDmz"/>), to a
    /// third host, 192.168.200.1, which also holds <see cref="Beyond"/> (a second way there).
    /// </param>
    public RoutedHosts(string backend, IReadOnlyDictionary<string, string>? parameters = null, bool withDmz = false)
    {
        Shell.RequireRootAnd("ip", "ping");
        try
        {
            Lan = Own(new NetnsFixture("rl"));
            Wan = Own(new NetnsFixture("rw"));
            var set = new Dictionary<string, string> { ["backend"] = backend };
            (string lanDevice, string wanDevice) = backend switch
            {
                "tap" => (NetnsFixture.UniqueName("tl", 15), NetnsFixture.UniqueName("tw", 15)),
                _ => WireVeths(),
            };
            if (backend == "memif")
            {
                string socket = $"/run/flow-test-router-{Environment.ProcessId}-{Guid.NewGuid():N}.sock";
                set["memif_socket"] = socket;
                Relay = Own(BuildRelay(socket, lanDevice, wanDevice));
            }
            else
            {
                set["lan.interface"] = lanDevice;
                set["wan.interface"] = wanDevice;
                set["lan.af_packet"] = set["wan.af_packet"] = """{ "pool_frames": 1024, "block_count": 8 }""";
            }
            if (withDmz)
            {
                Dmz = Own(new NetnsFixture("rd"));
                VethPair dmz = Own(new VethPair(Dmz, "rd"));
                Shell.Run("sysctl", "-qw", $"net.ipv6.conf.{dmz.HostName}.disable_ipv6=1");
                HostOffloads.DisableTxChecksum(Dmz, dmz.PeerName);
                DmzDevice = dmz.PeerName;
                set["dmz.interface"] = dmz.HostName;
                set["dmz.af_packet"] = """{ "pool_frames": 1024, "block_count": 8 }""";
            }
            foreach ((string key, string value) in parameters ?? new Dictionary<string, string>())
            {
                set[key] = value;
            }
            (FlowGraph graph, ServiceProvider services) = RouterJson.Load(set, withDmz);
            _services = services;
            Graph = Own(graph);
            if (backend == "tap")
            {
                // The router holds the TAP fds; the interfaces move into the hosts' namespaces.
                Shell.Run("ip", "link", "set", lanDevice, "netns", Lan.Name);
                Shell.Run("ip", "link", "set", wanDevice, "netns", Wan.Name);
                LanDevice = lanDevice;
                WanDevice = wanDevice;
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

    /// <summary>The third host, with <c>withDmz</c>; null otherwise.</summary>
    public NetnsFixture? Dmz { get; }

    public string DmzDevice { get; } = "";

    /// <summary>The hosts' interfaces toward the router (veth ends or TAP interfaces).</summary>
    public string LanDevice { get; private set; } = "";

    public string WanDevice { get; private set; } = "";

    /// <summary>memif only: the graph serving the router's memif ports and relaying them to the veths.</summary>
    public FlowGraph? Relay { get; }

    /// <summary>The route table the router's lookups share.</summary>
    public Ipv4RouteTable Routes => _services!.GetRequiredService<Ipv4RouteTable>();

    /// <summary>Runs a control command of the router as <c>flow ctl</c> would, with its arguments by name.</summary>
    public async Task<ControlReply> ControlAsync(string command, IReadOnlyDictionary<string, string> arguments)
    {
        var served = Graph.Stages.Where(s => Graph.GetStage<Stage>(s.Name) is IControlledStage controlled && controlled.ControlCommands.Any(c => c.Name == command))
            .Select(s => s.Name).ToList();
        IControlCommand handler = ((IControlledStage)Graph.GetStage<Stage>(served[0])).ControlCommands.Single(c => c.Name == command);
        return await handler.ExecuteAsync(new ControlRequest(Graph, command, arguments, servedBy: served), CancellationToken.None);
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

    private (string Lan, string Wan) WireVeths()
    {
        VethPair lan = Own(new VethPair(Lan, "rl"));
        VethPair wan = Own(new VethPair(Wan, "rw"));
        foreach (VethPair veth in new[] { lan, wan })
        {
            Shell.Run("sysctl", "-qw", $"net.ipv6.conf.{veth.HostName}.disable_ipv6=1");
            HostOffloads.DisableTxChecksum(veth.Namespace!, veth.PeerName);
        }
        LanDevice = lan.PeerName;
        WanDevice = wan.PeerName;
        return (lan.HostName, wan.HostName);
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
        Wan.Exec("ip", "route", "add", "192.168.1.0/24", "via", WanRouter);
        if (Dmz is not null)
        {
            Dmz.Exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
            Dmz.Exec("ip", "link", "set", "lo", "up");
            Dmz.Exec("ip", "link", "set", DmzDevice, "up");
            Dmz.Exec("ip", "addr", "add", "192.168.200.1/24", "dev", DmzDevice);
            Dmz.Exec("ip", "addr", "add", Beyond + "/32", "dev", "lo");
            Dmz.Exec("ip", "route", "add", "192.168.1.0/24", "via", "192.168.200.2");
        }
    }

    /// <summary>memif server for interface ids 1 (lan) and 2 (wan), each relayed to its veth's root end over AF_PACKET.</summary>
    private static FlowGraph BuildRelay(string socket, string lanVeth, string wanVeth)
    {
        var builder = new GraphBuilder().Worker(0, idle: IdlePolicy.SpinThenSleep());
        foreach ((string name, uint id, string veth, ushort port) in new[] { ("lan", 1u, lanVeth, (ushort)0), ("wan", 2u, wanVeth, (ushort)1) })
        {
            var memif = new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = id, Name = "relay-" + name };
            var wire = new AfPacketOptions { Interface = veth, InputPort = port, PoolFrames = 1024, BlockCount = 8 };
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
