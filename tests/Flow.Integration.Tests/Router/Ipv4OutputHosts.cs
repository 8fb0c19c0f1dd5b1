using System.Collections.Concurrent;
using Flow.Backends.AfPacket;
using Flow.Protocols.Ethernet;
using Flow.Stages.Ethernet;
using Flow.Stages.Icmp;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing;
using Flow.TestKit;

namespace Flow.Integration.Tests.Router;

/// <summary>
/// Two Linux hosts in private namespaces with Flow's IPv4 path between them on AF_PACKET; the
/// wan port has a 1500-byte MTU, the lan link 1800, so lan packets of 1501 to 1800 bytes must be
/// fragmented or refused by <c>ipv4_output</c>:
/// <code>
///  ns lan  10.77.1.2/24 ─veth (mtu 1800)─ lan 10.77.1.1 ─┐
///                                                         ├ rx ─ eth_classify ─ ipv4_input ─┐
///  graph source (test frames) ────────────────────────────┼──────────────────── ipv4_lookup ┘
///                                                         │   ─ ipv4_forward ─ ipv4_output ─┬─ resolve ─ neighbours ─┬─ tx_lan
///                                                         │                                 └─ icmp ─ icmp_error ────┤   (error → tx_lan)
///  ns wan  10.77.2.2/24 ─veth (mtu 1500)─ wan 10.77.2.1 ──┘                                                          └─ tx_wan
/// </code>
/// <c>neighbours</c> stands in for <c>arp_resolve</c> (another stage's work): it writes each
/// host's MAC, read from the kernel. The hosts know the router's MACs as permanent neighbours,
/// so no ARP crosses. Router-side veth ends have no addresses and forward nothing: the kernel
/// is only a host here. Everything is removed in <see cref="NetnsHostFixture.Dispose"/>.
/// </summary>
internal sealed class Ipv4OutputHosts : NetnsHostFixture
{
    public const string LanMac = "02:00:00:00:01:01";
    public const string WanMac = "02:00:00:00:02:01";
    public const string LanHost = "10.77.1.2";
    public const string WanHost = "10.77.2.2";

    public Ipv4OutputHosts()
    {
        Shell.RequireRootAnd("ip", "socat", "tshark", Shell.Python);
        try
        {
            Lan = Own(new NetnsFixture("o4l"));
            Wan = Own(new NetnsFixture("o4w"));
            LanVeth = Own(new VethPair(Lan, "ol"));
            WanVeth = Own(new VethPair(Wan, "ow"));
            Shell.Run("ip", "link", "set", LanVeth.HostName, "mtu", "1800");
            Lan.Exec("ip", "link", "set", LanVeth.PeerName, "mtu", "1800");
            foreach ((NetnsFixture ns, VethPair veth, string address, string gateway, string mac) in new[]
            {
                (Lan, LanVeth, LanHost, "10.77.1.1", LanMac),
                (Wan, WanVeth, WanHost, "10.77.2.1", WanMac),
            })
            {
                ns.Exec("ip", "addr", "add", address + "/24", "dev", veth.PeerName);
                ns.Exec("ip", "route", "add", "default", "via", gateway);
                ns.Exec("ip", "neigh", "replace", gateway, "lladdr", mac, "dev", veth.PeerName, "nud", "permanent");
                HostOffloads.DisableTxChecksum(ns, veth.PeerName);
            }

            Routes = Own(new Ipv4RouteTable(new Ipv4RouteTableOptions { Fib = new Ipv4FibOptions { Tbl8Groups = 16 } }));
            Routes.Add(Ipv4Prefix.Parse("10.77.1.0/24"), Ipv4Route.Connected(0));
            Routes.Add(Ipv4Prefix.Parse("10.77.2.0/24"), Ipv4Route.Connected(1));
            Routes.Add(Ipv4Prefix.Parse("10.77.1.1/32"), Ipv4Route.Local(0));
            Routes.Add(Ipv4Prefix.Parse("10.77.2.1/32"), Ipv4Route.Local(1));
            IReadOnlyList<RouterInterfaceOptions> interfaces =
            [
                new() { Name = "lan", Mac = LanMac, Addresses = ["10.77.1.1/24"], Mtu = 1800 },
                new() { Name = "wan", Mac = WanMac, Addresses = ["10.77.2.1/24"], Mtu = 1500 },
            ];
            var lanPort = new AfPacketOptions { Interface = LanVeth.HostName, InputPort = 0, PoolFrames = 1024, BlockCount = 8 };
            var wanPort = new AfPacketOptions { Interface = WanVeth.HostName, InputPort = 1, PoolFrames = 1024, BlockCount = 8 };
            Source = new FrameSource();
            Graph = Own(new GraphBuilder()
                .Worker(0, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(5)))
                .Add("rx_lan", new AfPacketRx(lanPort))
                .Add("source", Source)
                .Add("eth_classify", new EtherClassifier(new EtherClassifierOptions { Interfaces = interfaces }))
                .Add("ipv4_input", new Ipv4Validator(new Ipv4ValidatorOptions { Interfaces = interfaces }))
                .Add("ipv4_lookup", new Ipv4Lookup(Routes))
                .Add("ipv4_forward", new Ipv4Forwarder())
                .Add("ipv4_output", new Ipv4Output(new Ipv4OutputOptions { Interfaces = interfaces }, Routes))
                .Add("icmp_error", new IcmpErrorSender(new IcmpErrorSenderOptions { Interfaces = interfaces }, MonotonicClock.Instance))
                .Add("neighbours", new StaticNeighbours(Routes, [Mac(LanMac), Mac(WanMac)], [Mac(LanVeth.PeerMac), Mac(WanVeth.PeerMac)]))
                .Add("tx_lan", new AfPacketTx(lanPort))
                .Add("tx_wan", new AfPacketTx(wanPort))
                .Add("drop", new Dropper())
                .Connect("rx_lan", "eth_classify")
                .Connect("eth_classify:ipv4", "ipv4_input")
                .Connect("eth_classify:arp", "drop")
                .Connect("ipv4_input:forward", "ipv4_lookup")
                .Connect("ipv4_input:local", "drop")
                .Connect("source", "ipv4_lookup")
                .Connect("ipv4_lookup:forward", "ipv4_forward")
                .Connect("ipv4_lookup:local", "drop")
                .Connect("ipv4_lookup:unreachable", "drop")
                .Connect("ipv4_forward:forwarded", "ipv4_output")
                .Connect("ipv4_forward:time_exceeded", "drop")
                .Connect("ipv4_output:resolve", "neighbours")
                .Connect("ipv4_output:icmp", "icmp_error")
                .Connect("icmp_error:error", "tx_lan")
                .Connect("neighbours:lan", "tx_lan")
                .Connect("neighbours:wan", "tx_wan")
                .Build());
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

    public VethPair LanVeth { get; } = null!;

    public VethPair WanVeth { get; } = null!;

    public Ipv4RouteTable Routes { get; } = null!;

    public FrameSource Source { get; } = null!;

    public Ipv4Output Output => Graph.GetStage<Ipv4Output>("ipv4_output");

    public static MacAddress Mac(string text) => new(Convert.FromHexString(text.Replace(":", "", StringComparison.Ordinal)));

    /// <summary>Frames the test hands over, sent into the graph as if received on lan (L3 at 14).</summary>
    [Stage("frame_source", "Test source sending frames the test enqueues.")]
    public sealed class FrameSource : SourceStage<FrameSource.Output, NoDrop>, IDisposable
    {
        private readonly ConcurrentQueue<byte[]> _pending = new();
        private readonly PacketPool _pool = PacketPool.Create(64, 8192, name: "frame_source");

        public enum Output : byte
        {
            [Port(typeof(Carries.Ipv4), "the frames, IPv4 at 14")]
            Out,
        }

        public void Send(byte[] frame) => _pending.Enqueue(frame);

        public override int Poll(Span<Packet> packets, Span<Next> nexts)
        {
            int n = 0;
            while (n < packets.Length && _pending.TryDequeue(out byte[]? frame) && _pool.TryAllocate(out Packet packet))
            {
                packet.TrySetLength(frame.Length);
                frame.CopyTo(packet.Data);
                packet.Meta.L3Offset = EthernetHeader.Size;
                packet.Meta.Flags |= PacketFlags.L2Valid | PacketFlags.L3Valid;
                packets[n] = packet;
                nexts[n++] = To(Output.Out);
            }
            return n;
        }

        public void Dispose() => _pool.Dispose();
    }

    /// <summary>Stands in for arp_resolve: the host's MAC by the next hop's port, the router's MAC as source.</summary>
    [Stage("static_neighbours", "Test stage writing fixed neighbour MACs by egress port.")]
    private sealed unsafe class StaticNeighbours(Ipv4RouteTable routes, MacAddress[] own, MacAddress[] hosts)
        : Stage<StaticNeighbours.Output, NoDrop>
    {
        public enum Output : byte
        {
            [Port(typeof(Carries.Ipv4), "frames for the lan host")]
            Lan,
            [Port(typeof(Carries.Ipv4), "frames for the wan host")]
            Wan,
        }

        public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
        {
            for (int i = 0; i < packets.Length; i++)
            {
                Packet packet = packets[i];
                int port = routes.NextHops[packet.Meta.NextHop].Port;
                Span<byte> frame = packet.Data;
                hosts[port].CopyTo(frame);
                own[port].CopyTo(frame[6..]);
                nexts[i] = To(port == 0 ? Output.Lan : Output.Wan);
            }
        }
    }
}
