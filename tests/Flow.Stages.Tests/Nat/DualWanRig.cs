using System.Buffers.Binary;
using Flow.Stages.Ipv4;
using Flow.Stages.Nat;
using Flow.Stages.Routing;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Nat;

/// <summary>
/// A router with two WANs and a NAT on each, as router-dual-wan.json chains them: lan
/// (10.0.0.1/24, port 0), wan (192.0.2.1/24, port 1, gateway 192.0.2.2, the default route) and
/// wan2 (100.64.0.1/24, port 2, gateway 100.64.0.254, no route). Packets go through both
/// nat_out stages in the order given (the answer must not depend on it) and through both nat_in
/// stages (wan's first, its <c>local</c> into wan2's), as the file wires them.
/// </summary>
internal sealed class DualWanRig : IDisposable
{
    public const string External = "192.0.2.1";
    public const string External2 = "100.64.0.1";
    public const string Gateway2 = "100.64.0.254";
    public const ushort Wan2 = 2;

    private readonly NatTables _tables = new();
    private readonly Ipv4RouteTable _routes = new();
    private readonly Ipv4Lookup _lookup;
    private readonly StageHarness[] _outs;

    /// <param name="wan2First">nat_out2 before nat_out in the chain.</param>
    /// <param name="wan">wan's NAT options (interfaces, outside and gateway are the rig's).</param>
    /// <param name="wan2">wan2's NAT options (table, interfaces, outside and gateway are the rig's).</param>
    /// <param name="wan2Gateway">false: wan2's NAT is given no gateway.</param>
    /// <param name="wan2Dhcp">wan2 is addressed by DHCP: its address (and, without a gateway, its router) come from <see cref="Book"/>.</param>
    public DualWanRig(bool wan2First = false, NatOptions? wan = null, NatOptions? wan2 = null, bool wan2Gateway = true, bool wan2Dhcp = false)
    {
        IReadOnlyList<RouterInterfaceOptions> interfaces =
        [
            new() { Name = "lan", Mac = LanMac, Addresses = ["10.0.0.1/24"] },
            new() { Name = "wan", Mac = WanMac, Addresses = ["192.0.2.1/24"] },
            new() { Name = "wan2", Mac = "02:00:00:00:03:01", Addresses = [wan2Dhcp ? RouterInterfaceOptions.DhcpAddress : "100.64.0.1/24"] },
        ];
        _lookup = new Ipv4Lookup(new Ipv4LookupOptions { Interfaces = interfaces, Routes = [new() { Prefix = "0.0.0.0/0", Via = "192.0.2.2" }] }, _routes);
        NatOptions first = (wan ?? new NatOptions()) with { Interfaces = interfaces, Outside = "wan", Gateway = "192.0.2.2" };
        NatOptions second = (wan2 ?? new NatOptions()) with { Table = "nat2", Interfaces = interfaces, Outside = "wan2", Gateway = wan2Gateway ? Gateway2 : null };
        Outbound = new NatOutbound(first, _tables, _routes, Clock);
        Outbound2 = new NatOutbound(second, _tables, _routes, Clock, Book);
        Inbound = new NatInbound(first, _tables, Clock);
        Inbound2 = new NatInbound(second, _tables, Clock);
        Out = new StageHarness(Outbound, "nat_out");
        Out2 = new StageHarness(Outbound2, "nat_out2");
        In = new StageHarness(Inbound, "nat_in");
        In2 = new StageHarness(Inbound2, "nat_in2");
        _outs = wan2First ? [Out2, Out] : [Out, Out2];
    }

    public ManualClock Clock { get; } = new();

    /// <summary>Where a DHCP client would publish wan2's lease (with <c>wan2Dhcp</c>).</summary>
    public InterfaceAddressBook Book { get; } = new();

    public LeakCheckingPool Pool { get; } = new(256);

    public NatOutbound Outbound { get; }

    public NatOutbound Outbound2 { get; }

    public NatInbound Inbound { get; }

    public NatInbound Inbound2 { get; }

    public StageHarness Out { get; }

    public StageHarness Out2 { get; }

    public StageHarness In { get; }

    public StageHarness In2 { get; }

    /// <summary>What is sent on from the last nat_out: the frame and the next hop it leaves by (its port and gateway); null when a stage kept it.</summary>
    public (byte[] Frame, ushort Port, string Gateway)? Send(byte[] frame)
    {
        Packet packet = Pool.Classified(Lan, frame);
        packet.Meta.NextHop = _routes.Fib.Lookup(BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(14 + 16)));
        Packet[] batch = [packet];
        foreach (StageHarness stage in _outs)
        {
            stage.Process(batch);
            batch = stage.Take("out");
            if (batch.Length == 0)
            {
                return null;
            }
        }
        ref readonly NextHop hop = ref _routes.NextHops[batch[0].Meta.NextHop];
        (byte[], ushort, string) sent = (batch[0].Data.ToArray(), hop.Port, global::Flow.Stages.Routing.Internal.RouteConfiguration.Text(hop.Gateway));
        PacketPools.Free(batch);
        return sent;
    }

    /// <summary>A frame for one of the router's addresses arriving on <paramref name="port"/>, through nat_in then nat_in2: what leaves translated, or null.</summary>
    public byte[]? Receive(byte[] frame, ushort port)
    {
        In.Process([Pool.Classified(port, frame)]);
        Packet[] translated = In.Take("translated");
        if (translated.Length == 0)
        {
            Packet[] local = In.Take("local");
            if (local.Length == 0)
            {
                return null;
            }
            In2.Process(local);
            translated = In2.Take("translated");
            PacketPools.Free(In2.Take("local"));
        }
        byte[]? bytes = translated.Length == 1 ? translated[0].Data.ToArray() : null;
        PacketPools.Free(translated);
        return bytes;
    }

    public void Dispose()
    {
        foreach (StageHarness stage in (StageHarness[])[Out, Out2, In, In2])
        {
            Assert.True(stage.Stats.IsBalanced, stage.Stats.ToString());
            stage.Dispose();
        }
        Outbound.Dispose();
        Outbound2.Dispose();
        _lookup.Dispose();
        _tables.Dispose();
        _routes.Dispose();
        Pool.Dispose();
    }
}
