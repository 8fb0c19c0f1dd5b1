using Flow.Stages.Dhcp;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Dhcp;

/// <summary>
/// A router with a DHCP wan allocates nothing in steady state on the paths other packets take
/// past the DHCP stages — the address-book check in every stage's tick, UDP to other ports, DHCP
/// replies not for the client — measured on the worker thread (TestKit's AllocationProbe):
/// <code>
///  probe ─ ipv4_input ─ local ─ ipv4_local ─┬─ udp ─ dhcp_server ─ other ─ dhcp_client (drops; its DISCOVERs ─ sink)
///                                           ├─ unreachable ─ sink           link, relay ─ sink
///                                           └─ icmp ─ sink
/// </code>
/// </summary>
public sealed class DhcpAllocationTests
{
    [Fact]
    public async Task TheDhcpStagesAndTheirAddressBookAllocateNothingForOtherTraffic()
    {
        IReadOnlyList<RouterInterfaceOptions> interfaces =
        [
            new() { Name = "lan", Mac = LanMac, Addresses = ["10.0.0.1/24"] },
            new() { Name = "wan", Mac = WanMac, Addresses = [RouterInterfaceOptions.DhcpAddress] },
        ];
        byte[][] templates = Scapy("[" +
            "Ether(src=H, dst='ff:ff:ff:ff:ff:ff')/IP(src='10.0.0.10', dst='255.255.255.255')/UDP(sport=67, dport=68)/BOOTP(op=2, xid=5)/DHCP(options=[('message-type','offer'), 'end'])," +
            "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1')/UDP(sport=1000, dport=5000)/Raw(b'x'*20)," +
            "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1')/ICMP(id=1, seq=1)]");
        using var routes = new Ipv4RouteTable(new Ipv4RouteTableOptions { MaxNextHops = 64, Fib = new Ipv4FibOptions { Tbl8Groups = 4, MaxRoutes = 64 } });
        var book = new InterfaceAddressBook();
        var probe = new DhcpTrafficProbe(templates, warmup: 30_000, total: 240_000);
        var builder = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding)
            .Add("probe", probe)
            .Add("ipv4_input", new Ipv4Validator(new Ipv4ValidatorOptions { Interfaces = interfaces }, book))
            .Add("ipv4_local", new Ipv4LocalDemux(new Ipv4LocalDemuxOptions { UdpPorts = [67, 68] }))
            .Add("dhcp_server", new DhcpServer(new DhcpServerOptions { Interface = "lan", Interfaces = interfaces, Range = "10.0.0.100-10.0.0.199" }, MonotonicClock.Instance, book))
            .Add("dhcp_client", new DhcpClient(new DhcpClientOptions { Interface = "wan", Interfaces = interfaces }, MonotonicClock.Instance, routes, book))
            .Add("sink", new NullSink())
            .Connect("probe", "ipv4_input")
            .Connect("ipv4_input:local", "ipv4_local")
            .Connect("ipv4_input:forward", "sink")
            .Connect("ipv4_local:udp", "dhcp_server")
            .Connect("ipv4_local:icmp", "sink")
            .Connect("ipv4_local:unreachable", "sink")
            .Connect("dhcp_server:link", "sink")
            .Connect("dhcp_server:relay", "sink")
            .Connect("dhcp_server:other", "dhcp_client")
            .Connect("dhcp_client:link", "sink")
            .Connect("dhcp_client:routed", "sink");
        using FlowGraph graph = builder.Build();
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(120));
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, stats.ToString());
        Assert.True(probe.Measured, "the probe never reached its warm-up count");
        Assert.Equal(80_000, stats.Stage("dhcp_client").DroppedFor("other_interface"));
        Assert.Equal(80_000, stats.Stage("ipv4_local").OutOn("unreachable"));
        Assert.Equal(0, probe.AllocatedBytes);
    }

    /// <summary>Frame i is template i mod 3, all arriving on lan.</summary>
    [Stage("dhcp_traffic_probe", "Test source measuring allocations on its worker.")]
    private sealed class DhcpTrafficProbe(byte[][] templates, long warmup, long total) : AllocationProbe(warmup, total)
    {
        protected override void Write(Packet packet, long sequence)
        {
            byte[] template = templates[sequence % templates.Length];
            packet.TrySetLength(template.Length);
            template.CopyTo(packet.Data);
            packet.Meta.InputPort = Lan;
            packet.Meta.L2Offset = 0;
            packet.Meta.L3Offset = 14;
            packet.Meta.Flags |= PacketFlags.L2Valid | PacketFlags.L3Valid;
        }
    }
}
