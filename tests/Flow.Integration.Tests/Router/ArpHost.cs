using Flow.Backends.AfPacket;
using Flow.Stages.Arp;
using Flow.Stages.Ethernet;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing;
using Flow.TestKit;

namespace Flow.Integration.Tests.Router;

/// <summary>
/// A Linux host in its own namespace on one veth to the router's ARP stages, which run on
/// AF_PACKET in the test's namespace:
/// <code>
///  ns host 10.0.0.10/24 ─veth─ lan (10.0.0.1/24, no kernel address) ─ [ af_packet_rx ─ eth_classify ─ arp ─┬─ af_packet_tx ]
///                                                           [ injector (UDP from 10.0.0.1) ─ arp_resolve ─┘   unreachable ─ null ]
/// </code>
/// The router-side end has no address and IPv6 off (research 1.3; the UDP the router sends is built whole, so offloads do not matter here): the kernel is
/// only the host. Everything is removed in <see cref="NetnsHostFixture.Dispose"/>, also when construction fails.
/// </summary>
internal sealed class ArpHost : NetnsHostFixture
{
    public const string HostAddress = "10.0.0.10";

    public ArpHost(ArpResponderOptions? arp = null, Action<ArpHost>? beforeStart = null)
    {
        Shell.RequireRootAnd("ip", "busybox", "tshark", Shell.Python);
        try
        {
            Namespace = Own(new NetnsFixture("arp"));
            Veth = Own(new VethPair(Namespace, "a"));
            Shell.Run("sysctl", "-qw", $"net.ipv6.conf.{Veth.HostName}.disable_ipv6=1");
            Namespace.Exec("sysctl", "-qw", $"net.ipv6.conf.{Veth.PeerName}.disable_ipv6=1");
            Namespace.Exec("ip", "addr", "add", HostAddress + "/24", "dev", Veth.PeerName);
            RouterMac = Veth.HostMac;

            IReadOnlyList<RouterInterfaceOptions> interfaces = [new() { Name = "lan", Id = 0, Mac = RouterMac, Addresses = ["10.0.0.1/24"] }];
            Routes = Own(new Ipv4RouteTable(new Ipv4RouteTableOptions { MaxNextHops = 256, Fib = new Ipv4FibOptions { Tbl8Groups = 16, MaxRoutes = 256 } }));
            Routes.Add(Ipv4Prefix.Parse("10.0.0.0/24"), Ipv4Route.Connected(0));
            Table = Own(new NeighbourTable(Routes));
            Injector = new ArpInjector(Routes.Fib.Lookup(0x0A00000A));
            var port = new AfPacketOptions { Interface = Veth.HostName, InputPort = 0, PoolFrames = 1024, BlockCount = 8 };
            Graph = Own(new GraphBuilder()
                .Worker(0, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(5)))
                .Add("rx_lan", new AfPacketRx(port))
                .Add("eth_classify", new EtherClassifier(new EtherClassifierOptions { Interfaces = interfaces }))
                .Add("arp", new ArpResponder((arp ?? new ArpResponderOptions()) with { Interfaces = interfaces }, Table, MonotonicClock.Instance))
                .Add("injector", Injector)
                .Add("arp_resolve", new ArpResolver(new ArpResolverOptions { Interfaces = interfaces }, Table, Routes, MonotonicClock.Instance))
                .Add("tx_lan", new AfPacketTx(port))
                .Add("ipv4_sink", new NullSink())
                .Add("unreachable_sink", new NullSink())
                .Connect("rx_lan", "eth_classify")
                .Connect("eth_classify:arp", "arp")
                .Connect("eth_classify:ipv4", "ipv4_sink")
                .Connect("arp:lan", "tx_lan")
                .Connect("injector", "arp_resolve")
                .Connect("arp_resolve:lan", "tx_lan")
                .Connect("arp_resolve:unreachable", "unreachable_sink")
                .Build());
            beforeStart?.Invoke(this);
            Graph.Start();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public NetnsFixture Namespace { get; } = null!;

    public VethPair Veth { get; } = null!;

    public string RouterMac { get; } = "";

    public Ipv4RouteTable Routes { get; } = null!;

    public NeighbourTable Table { get; } = null!;

    public ArpInjector Injector { get; } = null!;

    public Task<IReadOnlyList<NeighbourEntry>> NeighboursAsync() => Graph.InvokeAsync<ArpResolver, IReadOnlyList<NeighbourEntry>>("arp_resolve", s => s.GetNeighbours());

    /// <summary>
    /// Starts tshark on the host's interface for <paramref name="seconds"/>, printing one line per
    /// ARP frame: epoch time, Ethernet source and destination, opcode, sender and target address;
    /// returns once it captures (its first line, the host's own probe, is read).
    /// </summary>
    public System.Diagnostics.Process BeginArpCapture(int seconds)
    {
        System.Diagnostics.Process tshark = Namespace.Begin("tshark", "-i", Veth.PeerName, "-n", "-l", "-f", "arp",
            "-a", "duration:" + seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "-T", "fields", "-E", "separator=/s",
            "-e", "frame.time_epoch", "-e", "eth.src", "-e", "eth.dst", "-e", "arp.opcode", "-e", "arp.src.proto_ipv4", "-e", "arp.dst.proto_ipv4");
        // tshark says "Capturing on ..." on stderr once its socket is open (after a warning as root).
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            Task<string?> line = tshark.StandardError.ReadLineAsync();
            if (!line.Wait(deadline - DateTime.UtcNow) || line.Result is null)
            {
                throw new InvalidOperationException("tshark did not start capturing");
            }
            if (line.Result.Contains("Capturing on", StringComparison.Ordinal))
            {
                break;
            }
        }
        // "Capturing on" comes before frames are really seen: the host asks for an address nobody
        // has (10.0.0.77) until its own request shows up in the capture.
        Task<string?> next = tshark.StandardOutput.ReadLineAsync();
        while (!next.Wait(TimeSpan.Zero))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException("tshark captured nothing of the host's own ARP request");
            }
            Namespace.TryExec(TimeSpan.FromSeconds(5), "busybox", "arping", "-c", "1", "-w", "1", "-I", Veth.PeerName, "10.0.0.77");
        }
        return tshark;
    }
}
