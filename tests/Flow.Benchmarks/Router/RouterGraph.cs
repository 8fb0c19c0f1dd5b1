using Flow.Stages.Arp;
using Flow.Stages.Ethernet;
using Flow.Stages.Icmp;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing;

namespace Flow.Benchmarks.Router;

/// <summary>
/// Flow's two-port router built in code from the stages of <c>Flow.Stages</c>, with the stage
/// names and wiring of <c>pipelines/router.json</c> minus its <c>ping</c> stage and its feedback
/// edge (ICMP errors end in a sink here instead of being routed: no packet of the benchmark
/// makes one), and a <see cref="RouterFrameCheck"/> between <c>arp_resolve</c> and each tx:
/// <code>
///  lan_rx, wan_rx ─ classify ─┬─ arp ─ lan_tx | wan_tx
///                             └─ ipv4_input ─┬─ forward ─ ipv4_lookup ─ ipv4_forward ─┐
///                                            └─ local ─ ipv4_local ─ icmp_echo ─ local_lookup ─┤
///        ipv4_output ─ arp_resolve ─ check_lan ─ lan_tx | check_wan ─ wan_tx   ◄────────────────┘
///        refused packets (no route, TTL, DF, ARP failed, unreachable) ─ icmp_error ─ icmp_sink
/// </code>
/// Without checks (<c>checks: false</c>) arp_resolve feeds the tx stages directly. One worker, busy polling, pinned to <c>cpu</c>. The route table has the FIB's default sizes
/// (as the shipped file's). Disposing stops the graph and frees the tables.
/// </summary>
internal sealed class RouterGraph : IRouterUnderTest
{
    private readonly Ipv4RouteTable _routes;
    private readonly NeighbourTable _neighbours;

    public RouterGraph(IReadOnlyList<RouterInterfaceOptions> interfaces, IReadOnlyList<Ipv4StaticRouteOptions> routes,
        (Stage Rx, Stage Tx) lan, (Stage Rx, Stage Tx) wan, int cpu, bool checks = true)
    {
        _routes = new Ipv4RouteTable();
        _neighbours = new NeighbourTable(_routes);
        IFlowClock clock = MonotonicClock.Instance;
        Checks = checks ? [new RouterFrameCheck(new RouterFrameCheckOptions { Side = 0 }), new RouterFrameCheck(new RouterFrameCheckOptions { Side = 1 })] : [];
        GraphBuilder builder = new GraphBuilder().Worker(0, cpu, IdlePolicy.BusyPoll)
            .Add("lan_rx", lan.Rx).Add("wan_rx", wan.Rx)
            .Add("classify", new EtherClassifier(new EtherClassifierOptions { Interfaces = interfaces }))
            .Add("arp", new ArpResponder(new ArpResponderOptions { Interfaces = interfaces }, _neighbours, clock))
            .Add("ipv4_input", new Ipv4Validator(new Ipv4ValidatorOptions { Interfaces = interfaces }))
            .Add("ipv4_local", new Ipv4LocalDemux(new Ipv4LocalDemuxOptions()))
            .Add("icmp_echo", new IcmpEchoResponder(new IcmpEchoResponderOptions { Interfaces = interfaces }))
            .Add("ipv4_lookup", new Ipv4Lookup(new Ipv4LookupOptions { Interfaces = interfaces, Routes = routes }, _routes))
            .Add("local_lookup", new Ipv4Lookup(_routes))
            .Add("ipv4_forward", new Ipv4Forwarder())
            .Add("ipv4_output", new Ipv4Output(new Ipv4OutputOptions { Interfaces = interfaces }, _routes))
            .Add("arp_resolve", new ArpResolver(new ArpResolverOptions { Interfaces = interfaces }, _neighbours, _routes, clock))
            .Add("icmp_error", new IcmpErrorSender(new IcmpErrorSenderOptions { Interfaces = interfaces }, clock))
            .Add("icmp_sink", new NullSink())
            .Add("drop", new Dropper())
            .Add("lan_tx", lan.Tx).Add("wan_tx", wan.Tx)
            .Connect("lan_rx", "classify").Connect("wan_rx", "classify")
            .Connect("classify:ipv4", "ipv4_input").Connect("classify:arp", "arp")
            .Connect("arp:lan", "lan_tx").Connect("arp:wan", "wan_tx")
            .Connect("ipv4_input:forward", "ipv4_lookup").Connect("ipv4_input:local", "ipv4_local")
            .Connect("ipv4_local:icmp", "icmp_echo").Connect("ipv4_local:udp", "drop").Connect("ipv4_local:unreachable", "icmp_error")
            .Connect("icmp_echo:reply", "local_lookup").Connect("icmp_echo:other", "drop")
            .Connect("ipv4_lookup:forward", "ipv4_forward").Connect("ipv4_lookup:local", "drop").Connect("ipv4_lookup:unreachable", "icmp_error")
            .Connect("ipv4_forward:forwarded", "ipv4_output").Connect("ipv4_forward:time_exceeded", "icmp_error")
            .Connect("local_lookup:forward", "ipv4_output").Connect("local_lookup:local", "drop").Connect("local_lookup:unreachable", "drop")
            .Connect("ipv4_output:resolve", "arp_resolve").Connect("ipv4_output:icmp", "icmp_error")
            .Connect("arp_resolve:unreachable", "icmp_error")
            .Connect("icmp_error", "icmp_sink");
        if (checks)
        {
            builder.Add("check_lan", Checks[0]).Add("check_wan", Checks[1])
                .Connect("arp_resolve:lan", "check_lan").Connect("arp_resolve:wan", "check_wan")
                .Connect("check_lan", "lan_tx").Connect("check_wan", "wan_tx");
        }
        else
        {
            builder.Connect("arp_resolve:lan", "lan_tx").Connect("arp_resolve:wan", "wan_tx");
        }
        Graph = builder.Build();
    }

    public FlowGraph Graph { get; }

    /// <summary>The checks before lan_tx (0) and wan_tx (1); none without checks.</summary>
    public RouterFrameCheck[] Checks { get; }

    public async ValueTask DisposeAsync()
    {
        await Graph.DisposeAsync();
        _neighbours.Dispose();
        _routes.Dispose();
    }
}
