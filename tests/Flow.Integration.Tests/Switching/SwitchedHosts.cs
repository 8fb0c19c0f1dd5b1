using Flow.Backends.AfPacket;
using Flow.Stages.Switching;
using Flow.TestKit;

namespace Flow.Integration.Tests.Switching;

/// <summary>
/// Four Linux hosts, each in its own namespace, wired by veth to a Flow switch running on
/// AF_PACKET in the test's namespace:
/// <code>
///  ns a  198.18.10.1 ─veth─ host_a (access 10) ─┐
///  ns b  198.18.10.2 ─veth─ host_b (access 10) ─┼─ [ af_packet_rx ─ classify ─ learn ─ forward ─ tag ─ af_packet_tx ]
///  ns c  198.18.20.3 ─veth─ host_c (access 20) ─┤
///        198.18.10.3 (same subnet as a, b: only VLAN isolation keeps them apart)
///  ns d  198.18.10.4 ─veth─ uplink (trunk 10 native, 20 tagged) ─┘
/// </code>
/// This machine's kernel has no 802.1Q support (no <c>vlan</c> link type, no 8021q module), so
/// host d cannot have VLAN sub-interfaces: it talks in VLAN 10 as the trunk's native VLAN
/// (untagged), and scapy in its namespace plays the VLAN 20 side (sends and sniffs tagged frames).
/// Everything is removed in <see cref="NetnsHostFixture.Dispose"/>, also when construction fails half way.
/// </summary>
internal sealed class SwitchedHosts : NetnsHostFixture
{
    public static readonly IReadOnlyList<SwitchPortOptions> Ports =
    [
        SwitchPortOptions.Access("host_a", 10),
        SwitchPortOptions.Access("host_b", 10),
        SwitchPortOptions.Access("host_c", 20),
        SwitchPortOptions.Trunk("uplink", [10, 20], native: 10),
    ];

    /// <param name="learning">MAC learning options of the code-built switch.</param>
    /// <param name="buildGraph">
    /// Builds the switch instead (for example from pipelines/switch.json) given the veths whose
    /// switch-side ends (<see cref="VethPair.HostName"/>) are its ports a, b, c, uplink in order;
    /// its stages must be named classify, learn and forward (shard 0's copies in a sharded graph).
    /// </param>
    /// <param name="queues">rx and tx queues of every veth end (one per shard of a sharded AF_XDP switch).</param>
    public SwitchedHosts(MacLearnerOptions? learning = null, Func<VethPair[], FlowGraph>? buildGraph = null, int queues = 1)
    {
        // busybox ping: iputils-ping is not among the installed packages (busybox is).
        Shell.RequireRootAnd("ip", "busybox", Shell.Python);
        try
        {
            Namespaces = new[] { "a", "b", "c", "d" }.Select(n => Own(new NetnsFixture("sw" + n))).ToArray();
            Veths = Namespaces.Select((ns, i) => Own(new VethPair(ns, "s" + i, queues))).ToArray();
            A.Exec("ip", "addr", "add", "198.18.10.1/24", "dev", Veths[0].PeerName);
            B.Exec("ip", "addr", "add", "198.18.10.2/24", "dev", Veths[1].PeerName);
            C.Exec("ip", "addr", "add", "198.18.20.3/24", "dev", Veths[2].PeerName);
            C.Exec("ip", "addr", "add", "198.18.10.3/24", "dev", Veths[2].PeerName);
            D.Exec("ip", "addr", "add", "198.18.10.4/24", "dev", Veths[3].PeerName);

            Graph = Own(buildGraph is not null ? buildGraph(Veths) : BuildCodeSwitch(Veths, learning));
            // A sharded switch.json's copies are one switch with one MAC table.
            Control = SwitchControl.Find(Graph);
            Graph.Start();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private static FlowGraph BuildCodeSwitch(VethPair[] veths, MacLearnerOptions? learning)
    {
        var builder = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(5)))
            .AddSwitch(Ports, learning);
        for (int i = 0; i < 4; i++)
        {
            string port = Ports[i].Name;
            var options = new AfPacketOptions { Interface = veths[i].HostName, InputPort = (ushort)i, PoolFrames = 1024, BlockCount = 8 };
            builder.Add($"rx_{port}", new AfPacketRx(options)).Connect($"rx_{port}", SwitchGraph.Classifier)
                .Add($"tx_{port}", new AfPacketTx(options)).Connect(SwitchGraph.TaggerOf(port), $"tx_{port}");
        }
        return builder.Build();
    }

    public NetnsFixture[] Namespaces { get; } = [];

    public VethPair[] Veths { get; } = [];

    public NetnsFixture A => Namespaces[0];

    public NetnsFixture B => Namespaces[1];

    public NetnsFixture C => Namespaces[2];

    public NetnsFixture D => Namespaces[3];

    public SwitchControl Control { get; } = null!;

    /// <summary>MAC of host <paramref name="index"/>'s interface (the sub-interfaces of d share it).</summary>
    public string MacOf(int index) => Veths[index].PeerMac;

    /// <summary>Pings <paramref name="address"/> from <paramref name="ns"/>: count pings, bounded in time; true when all were answered.</summary>
    public static bool Ping(NetnsFixture ns, string address, int count = 3) =>
        ns.TryExec(TimeSpan.FromSeconds(15), "busybox", "ping", "-c", count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-i", "0.2", "-W", "2", "-w", "5", "-q", address).ExitCode == 0;

    /// <summary>Sends frames a scapy expression builds, from <paramref name="ns"/>'s interface.</summary>
    public static void SendWithScapy(NetnsFixture ns, string iface, string framesExpression) =>
        ns.Exec(Shell.Python, "-c", $"from scapy.all import *\nsendp(({framesExpression}), iface='{iface}', verbose=0)");

    /// <summary>
    /// Starts scapy sniffing up to <paramref name="count"/> 802.1Q frames of <paramref name="vlan"/>
    /// on <paramref name="iface"/> in <paramref name="ns"/>, returning once it captures; it prints
    /// each frame's source MAC when it ends (after <paramref name="timeoutSeconds"/> at most).
    /// </summary>
    public static System.Diagnostics.Process BeginSniffVlan(NetnsFixture ns, string iface, int count, int vlan, int timeoutSeconds = 10)
    {
        string script = $"""
            from scapy.all import *
            got = sniff(iface='{iface}', count={count}, timeout={timeoutSeconds},
                        lfilter=lambda p: p.haslayer(Dot1Q) and p[Dot1Q].vlan == {vlan},
                        started_callback=lambda: print('READY', flush=True))
            for p in got:
                print(p[Ether].src)
            """;
        System.Diagnostics.Process process = ns.Begin(Shell.Python, "-c", script);
        Task<string?> line = process.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(30)) || line.Result != "READY")
        {
            throw new InvalidOperationException($"scapy sniffer did not start: {line.Result}");
        }
        return process;
    }
}
