using System.Buffers.Binary;
using Flow.Protocols.Ethernet;
using Flow.Stages.Arp;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Arp;

/// <summary>
/// The two ARP stages on one neighbour table, driven by hand with a manual clock, on
/// <see cref="Ipv4.RouterFrames"/>' router:
/// <code>
///  host 10.0.0.10 (H) ── lan (id 0, L, 10.0.0.1/24) ─┐
///                                                     router ── routes: 10.0.0.0/24 connected lan,
///  gw 192.0.2.2 ──────── wan (id 1, W, 192.0.2.1/24, ─┘          198.51.100.0/24 via 192.0.2.2 wan
///                             203.0.113.1/30)
/// </code>
/// Dispose checks that both stages balance (in + emitted = out + dropped + consumed) and that
/// every frame came back to its pool.
/// </summary>
internal sealed class ArpRouter : IDisposable
{
    public static readonly MacAddress Router = Mac(LanMac);
    public static readonly MacAddress Host = Mac(HostMac);
    public static readonly MacAddress Gateway = new(0x02, 0, 0, 0, 0x02, 0x02);

    public ArpRouter(ArpResponderOptions? options = null, InterfaceAddressBook? addresses = null)
    {
        Routes = new Ipv4RouteTable(new Ipv4RouteTableOptions { MaxNextHops = 1024, Fib = new Ipv4FibOptions { Tbl8Groups = 64, MaxRoutes = 1024 } });
        Routes.Add(Ipv4Prefix.Parse("10.0.0.0/24"), Ipv4Route.Connected(Lan));
        Routes.Add(Ipv4Prefix.Parse("198.51.100.0/24"), Ipv4Route.Via(Address("192.0.2.2"), Wan));
        Table = new NeighbourTable(Routes) { ApplyRoutesInBackground = false };
        Responder = new StageHarness(new ArpResponder((options ?? new ArpResponderOptions()) with { Interfaces = Interfaces() }, Table, Clock, addresses), "arp");
        Resolver = new StageHarness(new ArpResolver(new ArpResolverOptions { Interfaces = Interfaces() }, Table, Routes, Clock), "arp_resolve");
    }

    public LeakCheckingPool Pool { get; } = new(2048);

    public ManualClock Clock { get; } = new();

    public Ipv4RouteTable Routes { get; }

    public NeighbourTable Table { get; }

    public StageHarness Responder { get; }

    public StageHarness Resolver { get; }

    public ArpResponder Arp => (ArpResponder)Responder.Stage;

    public ArpResolver Resolve => (ArpResolver)Resolver.Stage;

    public long Now => Clock.NowNanoseconds;

    public static Protocols.Ipv4.Ipv4Address Address(string text) =>
        new(new Protocols.NetU32(BinaryPrimitives.ReadUInt32BigEndian(System.Net.IPAddress.Parse(text).GetAddressBytes())));

    public static uint Host32(string text) => Address(text).Value.Host;

    /// <summary>An Ethernet/IPv4 ARP frame, padded to 60 bytes.</summary>
    public static byte[] ArpFrame(ushort operation, MacAddress ethSource, MacAddress ethDestination, MacAddress sender, string senderAddress,
        MacAddress target, string targetAddress)
    {
        var frame = new byte[60];
        ethDestination.CopyTo(frame);
        ethSource.CopyTo(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherType.Arp);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), 1);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), 0x0800);
        frame[18] = 6;
        frame[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(20), operation);
        sender.CopyTo(frame.AsSpan(22));
        Address(senderAddress).CopyTo(frame.AsSpan(28));
        target.CopyTo(frame.AsSpan(32));
        Address(targetAddress).CopyTo(frame.AsSpan(38));
        return frame;
    }

    /// <summary>A request from <paramref name="sender"/> for <paramref name="target"/>, broadcast.</summary>
    public static byte[] Request(MacAddress sender, string senderAddress, string target) =>
        ArpFrame(1, sender, MacAddress.Broadcast, sender, senderAddress, default, target);

    /// <summary>A reply from <paramref name="sender"/> to the router's LAN address.</summary>
    public static byte[] Reply(MacAddress sender, string senderAddress, MacAddress to, string toAddress) =>
        ArpFrame(2, sender, to, sender, senderAddress, to, toAddress);

    /// <summary>An ARP frame arriving on <paramref name="port"/>, as eth_classify leaves it.</summary>
    public Packet ArpIn(ushort port, byte[] frame)
    {
        Packet packet = Pool.Classified(port, frame);
        return packet;
    }

    /// <summary>
    /// A forwarded IPv4 packet to <paramref name="destination"/> as it reaches arp_resolve: the
    /// Ethernet header it arrived with (from a WAN host), L3 offset 14, NextHop from the FIB.
    /// <paramref name="tag"/> goes into the Identification field.
    /// </summary>
    public Packet Ipv4To(string destination, ushort tag = 0, string source = "203.0.113.2")
    {
        var frame = new byte[14 + 28];
        Router.CopyTo(frame);
        Gateway.CopyTo(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherType.Ipv4);
        frame[14] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), 28);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(18), tag);
        frame[22] = 63;
        frame[23] = 17;
        Address(source).CopyTo(frame.AsSpan(26));
        Address(destination).CopyTo(frame.AsSpan(30));
        Packet packet = Pool.Classified(Wan, frame);
        packet.Meta.NextHop = Routes.Fib.Lookup(Host32(destination));
        return packet;
    }

    /// <summary>The neighbour (address, port) as control shows it, or null.</summary>
    public NeighbourEntry? Neighbour(string address, ushort port = Lan) =>
        Resolve.GetNeighbours().SingleOrDefault(n => n.Address == Address(address) && n.PortId == port);

    public void Advance(TimeSpan by) => Clock.Advance(by);

    /// <summary>Ticks both stages (arp first, as a worker runs them in graph order).</summary>
    public void Tick()
    {
        Responder.Tick(Now);
        Resolver.Tick(Now);
    }

    /// <summary>Takes and frees what left on <paramref name="port"/> of <paramref name="harness"/>, returning the frames' bytes.</summary>
    public static List<byte[]> TakeBytes(StageHarness harness, string port)
    {
        Packet[] packets = harness.Take(port);
        List<byte[]> bytes = [.. packets.Select(p => p.Data.ToArray())];
        PacketPools.Free(packets);
        return bytes;
    }

    public void Dispose()
    {
        Assert.True(Responder.Stats.IsBalanced, Responder.Stats.ToString());
        Assert.True(Resolver.Stats.IsBalanced, Resolver.Stats.ToString());
        Responder.Dispose();
        Resolver.Dispose();
        Table.Dispose();
        Pool.Dispose();
        Routes.Dispose();
    }
}
