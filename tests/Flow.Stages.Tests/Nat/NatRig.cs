using System.Buffers.Binary;
using Flow.Protocols;
using Flow.Protocols.Ipv4;
using Flow.Stages.Nat;
using Flow.Stages.Routing;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Nat;

/// <summary>
/// nat_in and nat_out of one NAT on the router of <see cref="Ipv4.RouterFrames"/> (outside: wan,
/// external address 192.0.2.1), with a route table whose default route leaves by wan, a manual
/// clock and a leak-checking pool. Frames come from scapy; what leaves is checked with
/// checksums recomputed here and fields read by scapy.
/// </summary>
internal sealed class NatRig : IDisposable
{
    public const string External = "192.0.2.1";

    private readonly NatTables _tables = new();
    private readonly Ipv4RouteTable _routes = new();
    private readonly Ipv4Lookup _lookup;

    /// <param name="options">The NAT's options; interfaces and (unless natInterfaces) addresses are the rig's.</param>
    /// <param name="natInterfaces">The interfaces the NAT is given, when not the router's (a wan addressed by DHCP); routing keeps the router's.</param>
    /// <param name="book">Where a DHCP client's learned addresses are published.</param>
    public NatRig(NatOptions? options = null, IReadOnlyList<Flow.Stages.Ipv4.RouterInterfaceOptions>? natInterfaces = null, Flow.Stages.Ipv4.InterfaceAddressBook? book = null)
    {
        options ??= new NatOptions();
        // wan has two addresses; the NAT uses the first, so every test knows its external address.
        options = natInterfaces is not null
            ? options with { Interfaces = natInterfaces }
            : options with { Interfaces = Interfaces(), Addresses = options.Addresses.Count > 0 ? options.Addresses : [External] };
        _lookup = new Ipv4Lookup(new Ipv4LookupOptions { Interfaces = Interfaces(), Routes = [new() { Prefix = "0.0.0.0/0", Via = "192.0.2.2" }] }, _routes);
        Outbound = new NatOutbound(options, _tables, _routes, Clock, book);
        Inbound = new NatInbound(options, _tables, Clock);
        Out = new StageHarness(Outbound, "nat_out");
        In = new StageHarness(Inbound, "nat_in");
    }

    public ManualClock Clock { get; } = new();

    public LeakCheckingPool Pool { get; } = new(1024);

    public NatOutbound Outbound { get; }

    public NatInbound Inbound { get; }

    public StageHarness Out { get; }

    public StageHarness In { get; }

    public NatTable Table => Outbound.Table;

    /// <summary>Sends a frame (arriving on <paramref name="port"/>) through nat_out, routed by the table; returns what left by <paramref name="output"/>, or null.</summary>
    public byte[]? Send(byte[] frame, ushort port = Lan, string output = "out")
    {
        Packet packet = Pool.Classified(port, frame);
        uint destination = BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(14 + 16));
        packet.Meta.NextHop = _routes.Fib.Lookup(destination);
        Out.Process([packet]);
        return TakeOne(Out, output);
    }

    /// <summary>Sends a frame addressed to the router (arriving on <paramref name="port"/>) through nat_in; returns what left by <paramref name="output"/>, or null.</summary>
    public byte[]? Receive(byte[] frame, ushort port = Wan, string output = "translated")
    {
        In.Process([Pool.Classified(port, frame)]);
        return TakeOne(In, output);
    }

    private static byte[]? TakeOne(StageHarness harness, string output)
    {
        Packet[] packets = harness.Take(output);
        byte[]? bytes = packets.Length == 1 ? packets[0].Data.ToArray() : null;
        PacketPools.Free(packets);
        return bytes;
    }

    /// <summary>The next hop out of wan (the default route), as ipv4_lookup writes it into NextHop.</summary>
    public static uint WanHop(NatRig rig) => rig._routes.Fib.Lookup(0xC6336407);

    /// <summary>True when the IPv4 header checksum of a frame is right.</summary>
    public static bool HeaderChecksumValid(byte[] frame) => Checksum.IsValid(frame.AsSpan(14, (frame[14] & 0xF) * 4));

    /// <summary>(src, sport, dst, dport) of an IPv4 frame's UDP or TCP (ports) or ICMP (identifier as both ports).</summary>
    public static (string Source, int SourcePort, string Destination, int DestinationPort) Endpoints(byte[] frame)
    {
        Span<byte> ip = frame.AsSpan(14);
        int l4 = (ip[0] & 0xF) * 4;
        string src = new Ipv4Address(ip[12], ip[13], ip[14], ip[15]).ToString();
        string dst = new Ipv4Address(ip[16], ip[17], ip[18], ip[19]).ToString();
        if (ip[9] == IpProtocol.Icmp)
        {
            int id = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(l4 + 4));
            return (src, id, dst, id);
        }
        return (src, BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(l4)), dst, BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(l4 + 2)));
    }

    /// <summary>True when the IPv4 header and the UDP, TCP or ICMP checksum of a whole frame are right.</summary>
    public static bool ChecksumsValid(byte[] frame)
    {
        Span<byte> ip = frame.AsSpan(14);
        int headerLength = (ip[0] & 0xF) * 4;
        int total = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(2));
        if (!Checksum.IsValid(ip.Slice(0, headerLength)))
        {
            return false;
        }
        Span<byte> l4 = ip.Slice(headerLength, total - headerLength);
        byte protocol = ip[9];
        if (protocol == IpProtocol.Icmp)
        {
            return Checksum.IsValid(l4);
        }
        if (protocol == IpProtocol.Udp && BinaryPrimitives.ReadUInt16BigEndian(l4.Slice(6)) == 0)
        {
            return true;
        }
        ushort pseudo = Checksum.PseudoHeaderSum(new Ipv4Address(ip[12], ip[13], ip[14], ip[15]), new Ipv4Address(ip[16], ip[17], ip[18], ip[19]), protocol, (ushort)l4.Length);
        return Checksum.Sum(l4, pseudo) == 0xFFFF;
    }

    public void Dispose()
    {
        Assert.True(Out.Stats.IsBalanced, Out.Stats.ToString());
        Assert.True(In.Stats.IsBalanced, In.Stats.ToString());
        Out.Dispose();
        In.Dispose();
        Outbound.Dispose();
        _lookup.Dispose();
        _tables.Dispose();
        _routes.Dispose();
        Pool.Dispose();
    }
}
