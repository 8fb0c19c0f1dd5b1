using System.Buffers.Binary;
using Flow.Protocols;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Icmp;
using Flow.Protocols.Ipv4;
using Flow.Stages.Icmp.Internal;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing;
using Flow.Stages.Ipv4.Internal;

namespace Flow.Stages.Icmp;

/// <summary>
/// The router's own ping (<c>flow ctl ping</c>): sends ICMP echo requests from the router and
/// matches what comes back — the echo reply, or an ICMP error some router on the way sent about
/// the request (unreachable, time exceeded) — to the probe it answers.
/// </summary>
/// <remarks>
/// Input: <c>icmp_echo</c>'s <c>other</c> packets, the ICMP messages for the router that are not
/// echo requests. An echo reply or an error quoting a request with this stage's identifier and
/// the sequence number of a probe still waiting is recorded and consumed; anything else is
/// dropped with its reason, so what the router received but did not act on is counted.
/// Output <c>request</c>: the echo requests, made by <see cref="SendProbe"/> (a control message),
/// each from the primary address of the interface its route leaves by, TTL 64, with room for the
/// Ethernet header that <c>arp_resolve</c> writes: route them (the router's local lookup, then
/// <c>ipv4_output</c>). Up to <see cref="MaxProbes"/> probes wait at once; the oldest is forgotten
/// when another is sent. Probe state is worker-owned and read through the control mailbox.
/// </remarks>
[SingleShard("its outstanding echoes: the reply to a request may arrive on any shard")]
[Stage("ping", "Router's own ping: sends echo requests on request (flow ctl ping), matches replies and errors about them.",
    Accepts = typeof(Carries.Ipv4))]
public sealed unsafe class IcmpPinger : Stage<IcmpPinger.Output, IcmpPinger.Reason>, IControlledStage, IDisposable
{
    /// <summary>Probes waiting for an answer at once (sequence numbers modulo this index them).</summary>
    public const int MaxProbes = 64;

    /// <summary>Most data bytes a probe carries (its frame holds Ethernet, IPv4 and ICMP headers too).</summary>
    public const int MaxDataLength = 1472;

    private readonly Ipv4RouteTable _routes;
    private readonly FibReader _reader;
    private readonly IFlowClock _clock;
    private readonly PacketPool _pool;
    private readonly ushort _identifier;
    private readonly PingProbe[] _probes = new PingProbe[MaxProbes];
    private RouterInterfaceTable _interfaces;
    // Follows addresses a dhcp_client learns (checked in Tick, a batch boundary).
    private readonly InterfaceWatch _watch;
    private ushort _nextSequence = 1;

    public IcmpPinger(IcmpPingerOptions options, Ipv4RouteTable routes, IFlowClock clock, InterfaceAddressBook? addresses = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(clock);
        _interfaces = RouterInterfaceTable.Create(options.Interfaces);
        _watch = new InterfaceWatch(options.Interfaces, addresses);
        _routes = routes;
        _reader = routes.OpenReader();
        _clock = clock;
        _pool = PacketPool.Create(options.PoolFrames, name: "ping.requests");
        // Several routers (or graphs) in one host must not take each other's replies.
        _identifier = (ushort)Random.Shared.Next(1, ushort.MaxValue);
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "the router's echo requests: route them")]
        Request,
    }

    public enum Reason : byte
    {
        [DropReason("no valid IPv4 header at the L3 offset", Severity.Error)]
        Malformed,
        [DropReason("echo reply or error about a request of no waiting probe (late, or not ours)", Severity.Info)]
        Unmatched,
        [DropReason("ICMP message the router does not act on (an error about a packet it forwarded, another type)", Severity.Info)]
        NotActedOn,
    }

    /// <summary>The ping verb (<c>ping</c>).</summary>
    IReadOnlyList<IControlCommand> IControlledStage.ControlCommands => PingControlCommands.All;

    /// <summary>The ICMP identifier of this stage's requests.</summary>
    public ushort Identifier => _identifier;

    /// <summary>Takes up addresses a <c>dhcp_client</c> learned or lost (<see cref="InterfaceAddressBook"/>).</summary>
    public override void Tick(long nowNanoseconds)
    {
        if (_watch.TryGetChanged(out RouterInterfaceTable? changed))
        {
            SetInterfaces(changed);
        }
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        long now = _clock.NowNanoseconds;
        for (int i = 0; i < packets.Length; i++)
        {
            nexts[i] = Match(packets[i], now);
        }
    }

    private Next Match(Packet packet, long now)
    {
        int l3 = packet.Meta.L3Offset;
        Span<byte> data = packet.Data;
        if ((uint)l3 > (uint)data.Length || !Ipv4Packet.TryParse(data.Slice(l3), out Ipv4Packet ip))
        {
            return Drop(Reason.Malformed);
        }
        if (ip.Header.Protocol != IpProtocol.Icmp || ip.Header.IsFragment || !IcmpPacket.TryParse(ip.Payload, out IcmpPacket icmp))
        {
            return Drop(Reason.NotActedOn);
        }
        byte type = icmp.Header.Type;
        if (type == IcmpType.EchoReply)
        {
            if (icmp.Header.Identifier != _identifier)
            {
                return Drop(Reason.NotActedOn);
            }
            return Record(icmp.Header.SequenceNumber, ip.Header.Source.Value.Host, now, type, 0, ip.Header.TimeToLive, icmp.Body.Length, packet);
        }
        // An error quotes our request: its IPv4 header and at least the ICMP header's 8 bytes.
        if (!icmp.TryGetQuotedPacket(out Ipv4Packet quoted) || quoted.Header.Protocol != IpProtocol.Icmp || quoted.Payload.Length < IcmpHeader.Size
            || quoted.Payload[0] != IcmpType.EchoRequest || BinaryPrimitives.ReadUInt16BigEndian(quoted.Payload.Slice(4)) != _identifier)
        {
            return Drop(Reason.NotActedOn);
        }
        ushort sequence = BinaryPrimitives.ReadUInt16BigEndian(quoted.Payload.Slice(6));
        return Record(sequence, ip.Header.Source.Value.Host, now, type, icmp.Header.Code, ip.Header.TimeToLive, 0, packet);
    }

    private Next Record(ushort sequence, uint from, long now, byte type, byte code, byte ttl, int bytes, Packet packet)
    {
        ref PingProbe probe = ref _probes[sequence % MaxProbes];
        // Sequence numbers start at 1, so an empty slot (0) never matches.
        if (probe.Sequence != sequence || sequence == 0 || probe.IsAnswered)
        {
            return Drop(Reason.Unmatched);
        }
        probe = probe with { IsAnswered = true, AnsweredAt = now, From = from, AnswerType = type, AnswerCode = code, TimeToLive = ttl, DataLength = bytes };
        PacketPools.Free(packet);
        return Next.Consumed;
    }

    /// <summary>
    /// Sends one echo request to <paramref name="destination"/> (host order) carrying
    /// <paramref name="dataLength"/> bytes; a control message, run on the worker. Returns the
    /// probe as sent. Refuses (<see cref="ControlCommandException"/>) a destination with no route
    /// or in a blackhole or reject route, or a full pool.
    /// </summary>
    public PingProbe SendProbe(uint destination, int dataLength)
    {
        if ((uint)dataLength > MaxDataLength)
        {
            throw new ControlCommandException($"size {dataLength}: from 0 to {MaxDataLength} data bytes");
        }
        int index = InterfaceTowards(destination, out bool own);
        // An own address is pinged from itself; the request comes back through local delivery.
        uint source = own ? destination : _interfaces.PrimaryAddressOf(index);
        if (source == 0)
        {
            throw new ControlCommandException($"interface {_interfaces.Interfaces[index].Name} has no address to send from");
        }
        if (!_pool.TryAllocate(out Packet packet))
        {
            throw new ControlCommandException("no frame free for the request: too many probes in flight");
        }
        ushort sequence = _nextSequence++;
        if (_nextSequence == 0)
        {
            _nextSequence = 1;
        }
        Span<byte> frame = new(packet.DataPointer, packet.Tailroom + packet.Length);
        // arp_resolve writes the addresses; the EtherType is known now.
        frame.Slice(0, EthernetHeader.Size - 2).Clear();
        BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(EthernetHeader.Size - 2), EtherType.Ipv4);
        IcmpBuilder.TryWriteEchoRequest(frame.Slice(EthernetHeader.Size), new Ipv4Address(new NetU32(source)), new Ipv4Address(new NetU32(destination)),
            _identifier, sequence, dataLength, out int written);
        ref PacketMeta meta = ref packet.Meta;
        meta.Length = (ushort)(EthernetHeader.Size + written);
        meta.L2Offset = 0;
        meta.L3Offset = EthernetHeader.Size;
        meta.InputPort = _interfaces.Interfaces[index].Id ?? (ushort)index;
        meta.Flags |= PacketFlags.L3Valid;
        var probe = new PingProbe(sequence, destination, source, _clock.NowNanoseconds, dataLength);
        _probes[sequence % MaxProbes] = probe;
        Emit(packet, Output.Request);
        return probe;
    }

    /// <summary>The probe with <paramref name="sequence"/>, or null when a newer one took its slot.</summary>
    public PingProbe? GetProbe(ushort sequence)
    {
        PingProbe probe = _probes[sequence % MaxProbes];
        return probe.Sequence == sequence && sequence != 0 ? probe : null;
    }

    /// <summary>Replaces the interface table; a control message, run between batches.</summary>
    public void SetInterfaces(RouterInterfaceTable interfaces)
    {
        ArgumentNullException.ThrowIfNull(interfaces);
        _interfaces = interfaces;
    }

    /// <summary>The index of the interface the route to <paramref name="destination"/> leaves by, or that owns it (<paramref name="own"/>).</summary>
    private int InterfaceTowards(uint destination, out bool own)
    {
        _reader.Enter();
        try
        {
            NextHop hop = _routes.NextHops[_routes.Fib.Lookup(destination)];
            if (hop.Kind == NextHopKind.Multipath)
            {
                hop = _routes.NextHops[hop.Member(destination)];
            }
            string address = new Ipv4Address(new NetU32(destination)).ToString();
            own = hop.Kind == NextHopKind.Local;
            int index = hop.Kind switch
            {
                NextHopKind.Via or NextHopKind.Connected or NextHopKind.Local => _interfaces.IndexOfId(hop.Port),
                NextHopKind.Blackhole or NextHopKind.Reject => throw new ControlCommandException($"{address} is in a {hop.Kind.ToString().ToLowerInvariant()} route"),
                _ => throw new ControlCommandException($"no route to {address}"),
            };
            return index >= 0 ? index : throw new ControlCommandException($"the route to {address} leaves by port {hop.Port}, which is no interface of this stage");
        }
        finally
        {
            _reader.Exit();
        }
    }

    public void Dispose()
    {
        _reader.Dispose();
        _pool.Dispose();
    }
}
