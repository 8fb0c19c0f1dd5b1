using System.Runtime.CompilerServices;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Icmp;
using Flow.Protocols.Ipv4;
using Flow.Stages.Icmp.Internal;
using Flow.Stages.Ipv4;
using Flow.Stages.Ipv4.Internal;

namespace Flow.Stages.Icmp;

/// <summary>
/// Turns packets other stages refused into the ICMP errors their senders should get (RFC 792,
/// RFC 1812 4.3.2), in place, rate-limited; or drops them with the reason no error may be sent.
/// </summary>
/// <remarks>
/// Input: a packet as <c>ipv4_input</c> validated it (L3 offset at its IPv4 header, the Ethernet
/// header it arrived with still in front), with an <see cref="IcmpErrorRequest"/> in
/// <see cref="PacketMeta.UserWord"/> written by the stage that refused it: <c>ipv4_forward</c>
/// (time exceeded), the route lookup (net unreachable, admin prohibited), ARP (host
/// unreachable), local delivery (port, protocol unreachable), the output stage (fragmentation
/// needed with the next-hop MTU).
/// Output <c>error</c>: the error as an Ethernet frame — destination MAC the offending frame's
/// source, source MAC the receiving interface's, L3 offset 14 — addressed to the offending
/// packet's source, from the primary address of the interface it arrived on (the interface the
/// error normally leaves by, RFC 1812 4.3.2.4), TTL 64, precedence 6 (4.3.2.5). It quotes the
/// offending header with its options and as much data as keeps the error within 576 bytes
/// (4.3.2.3). Route it like any packet the router sends (route lookup, then output).
/// The error is written in front of the offending packet, which stays where it is and becomes
/// the quote: 28 bytes of headroom are enough (pools have 128); without them the quote is moved.
/// Drops where no error may be sent (RFC 1812 4.3.2.7, RFC 1122 3.2.2), each its own reason:
/// <c>about_icmp_error</c>, <c>about_fragment</c> (not the first fragment),
/// <c>about_broadcast</c> (limited or attached-subnet broadcast destination),
/// <c>about_multicast</c>, <c>about_link_broadcast</c> (received as a link-layer broadcast or
/// multicast), <c>bad_source</c> (source not a single host: 0/8, 127/8, 224/4, 240/4, a subnet
/// broadcast). Rate limits (RFC 1812 4.3.2.8, Linux's scheme): each destination first
/// (<c>rate_limited_destination</c>), then the router as a whole (<c>rate_limited</c>), so one
/// flooded destination does not use up the global budget (Linux 6.12 checks in this order).
/// Fragmentation needed is not rate-limited: path MTU discovery depends on it (Linux
/// <c>icmpv4_mask_allow</c>). Other drops: <c>bad_request</c> (no valid request in UserWord: a
/// wiring mistake), <c>malformed</c> (no valid IPv4 header at L3), <c>no_source_address</c>
/// (the receiving interface has no address), <c>no_room</c> (the frame cannot hold the error).
/// Time for the rate limits is read from the clock once per batch.
/// </remarks>
[Stage("icmp_error", "Router ICMP errors: builds the error a refused packet's sender gets (request in UserWord), with RFC 1812 suppression and rate limits.",
    Accepts = typeof(Carries.Ipv4))]
public sealed partial class IcmpErrorSender : Stage<IcmpErrorSender.Output, IcmpErrorSender.Reason>
{
    private const int ErrorHeaders = Ipv4Header.Size + IcmpHeader.Size;
    private const int KindCount = 7;

    private readonly IFlowClock _clock;
    // Replaced only between batches (control messages).
    private RouterInterfaceTable _interfaces;
    // Follows addresses a dhcp_client learns (checked in Tick, a batch boundary).
    private readonly InterfaceWatch _watch;
    private TokenBucket _global;
    private DestinationRateTable _destinations;
    private IcmpErrorSenderOptions _options;

    // Worker-owned counters; read through the control mailbox.
    private readonly long[] _sentByKind = new long[KindCount];

    public IcmpErrorSender(IcmpErrorSenderOptions options, IFlowClock clock, InterfaceAddressBook? addresses = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
        _interfaces = RouterInterfaceTable.Create(options.Interfaces);
        _watch = new InterfaceWatch(options.Interfaces, addresses);
        _options = options;
        (_global, _destinations) = CreateLimits(options, clock.NowNanoseconds);
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "ICMP errors to the offending packets' sources: route them")]
        Error,
    }

    public enum Reason : byte
    {
        [DropReason("UserWord holds no ICMP error request: wired to icmp_error by mistake", Severity.Error)]
        BadRequest,
        [DropReason("no valid IPv4 header at the L3 offset", Severity.Error)]
        Malformed,
        [DropReason("no error about an ICMP error (RFC 1812 4.3.2.7)", Severity.Info)]
        AboutIcmpError,
        [DropReason("no error about a fragment other than the first (RFC 1812 4.3.2.7)", Severity.Info)]
        AboutFragment,
        [DropReason("no error about a packet sent to a broadcast address (RFC 1812 4.3.2.7)", Severity.Info)]
        AboutBroadcast,
        [DropReason("no error about a packet sent to a multicast address (RFC 1812 4.3.2.7)", Severity.Info)]
        AboutMulticast,
        [DropReason("no error about a link-layer broadcast or multicast (RFC 1812 4.3.2.7)", Severity.Info)]
        AboutLinkBroadcast,
        [DropReason("no error to a source that is not a single host (RFC 1812 4.3.2.7)", Severity.Info)]
        BadSource,
        [DropReason("the receiving interface has no address to send the error from")]
        NoSourceAddress,
        [DropReason("suppressed by the per-destination rate limit (RFC 1812 4.3.2.8)", Severity.Info)]
        RateLimitedDestination,
        [DropReason("suppressed by the router's global rate limit (RFC 1812 4.3.2.8)", Severity.Info)]
        RateLimited,
        [DropReason("the frame has no room for the error's headers", Severity.Error)]
        NoRoom,
    }

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
        RouterInterfaceTable interfaces = _interfaces;
        for (int i = 0; i < packets.Length; i++)
        {
            nexts[i] = Send(packets[i], interfaces, now);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe Next Send(Packet packet, RouterInterfaceTable interfaces, long now)
    {
        ref PacketMeta meta = ref packet.Meta;
        if (!IcmpErrorRequest.TryDecode(meta.UserWord, out byte type, out byte code, out uint restOfHeader))
        {
            return Drop(Reason.BadRequest);
        }
        int l3 = meta.L3Offset;
        Span<byte> data = packet.Data;
        if ((uint)l3 > (uint)data.Length || !Ipv4Packet.TryParse(data.Slice(l3), out Ipv4Packet offending))
        {
            return Drop(Reason.Malformed);
        }

        // RFC 1812 4.3.2.7: the packets no error may be sent about.
        ref Ipv4Header header = ref offending.Header;
        uint source = header.Source.Value.Host;
        uint destination = header.Destination.Value.Host;
        if (header.FragmentOffset != 0)
        {
            return Drop(Reason.AboutFragment);
        }
        if (destination == uint.MaxValue || interfaces.IsSubnetBroadcast(destination))
        {
            return Drop(Reason.AboutBroadcast);
        }
        if (destination >> 28 == 0xE)
        {
            return Drop(Reason.AboutMulticast);
        }
        bool hasL2 = (meta.Flags & PacketFlags.L2Valid) != 0 && meta.L2Offset + EthernetHeader.Size <= l3;
        if (hasL2 && (data[meta.L2Offset] & 1) != 0)
        {
            return Drop(Reason.AboutLinkBroadcast);
        }
        if (!RouterInterfaceTable.IsUnicastHost(source) || interfaces.IsSubnetBroadcast(source))
        {
            return Drop(Reason.BadSource);
        }
        Span<byte> payload = offending.Payload;
        if (header.Protocol == IpProtocol.Icmp && !payload.IsEmpty && IcmpType.IsError(payload[0]))
        {
            return Drop(Reason.AboutIcmpError);
        }
        int index = interfaces.IndexOfId(meta.InputPort);
        uint from = index < 0 ? 0 : interfaces.PrimaryAddressOf(index);
        if (from == 0)
        {
            return Drop(Reason.NoSourceAddress);
        }

        if (!(type == IcmpType.DestinationUnreachable && code == IcmpType.CodeFragmentationNeeded))
        {
            if (!_destinations.TryTake(source, now))
            {
                return Drop(Reason.RateLimitedDestination);
            }
            if (!_global.TryTake(now))
            {
                return Drop(Reason.RateLimited);
            }
        }

        // The new headers go in front of the offending packet, which becomes the quote where it
        // lies; with less than 28 bytes of headroom the quote moves back by 28 instead.
        MacAddress requester = hasL2 ? new MacAddress(data.Slice(meta.L2Offset + 6)) : default;
        int l3InFrame = meta.DataOffset + l3;
        int ipInFrame = l3InFrame - ErrorHeaders >= EthernetHeader.Size ? l3InFrame - ErrorHeaders : l3InFrame;
        if (ipInFrame < EthernetHeader.Size)
        {
            return Drop(Reason.NoRoom);
        }
        byte* frame = meta.Frame;
        var error = new Span<byte>(frame + ipInFrame, Math.Min(meta.FrameSize - ipInFrame, IcmpBuilder.MaxErrorLength));
        if (!IcmpBuilder.TryWriteError(error, offending, type, code, restOfHeader, new Ipv4Address(new Protocols.NetU32(from)), out int written))
        {
            return Drop(Reason.NoRoom);
        }

        ref EthernetHeader ethernet = ref Unsafe.AsRef<EthernetHeader>(frame + ipInFrame - EthernetHeader.Size);
        ethernet.Destination = requester;
        ethernet.Source = interfaces.MacOf(index);
        ethernet.EtherType = new Protocols.NetU16(EtherType.Ipv4);
        meta.DataOffset = (ushort)(ipInFrame - EthernetHeader.Size);
        meta.Length = (ushort)(EthernetHeader.Size + written);
        meta.L2Offset = 0;
        meta.L3Offset = EthernetHeader.Size;
        meta.L4Offset = EthernetHeader.Size + Ipv4Header.Size;
        meta.Flags |= PacketFlags.L2Valid | PacketFlags.L3Valid | PacketFlags.L4Valid | PacketFlags.L3ChecksumGood;
        meta.UserWord = 0;
        _sentByKind[KindIndex(type, code)]++;
        return To(Output.Error);
    }

    /// <summary>0 time exceeded, 1–5 unreachable codes 0–4, 6 administratively prohibited.</summary>
    private static int KindIndex(byte type, byte code) =>
        type == IcmpType.TimeExceeded ? 0 : code == IcmpType.CodeAdministrativelyProhibited ? 6 : 1 + code;

    private static (TokenBucket Global, DestinationRateTable Destinations) CreateLimits(IcmpErrorSenderOptions options, long now)
    {
        var errors = new List<string>();
        if (options.GlobalPerSecond is < 0 or > 10_000_000)
        {
            errors.Add($"GlobalPerSecond {options.GlobalPerSecond} is out of range 0 (no limit) to 10000000");
        }
        if (options.GlobalBurst is < 1 or > 1_000_000)
        {
            errors.Add($"GlobalBurst {options.GlobalBurst} is out of range 1 to 1000000");
        }
        if (options.PerDestinationInterval < TimeSpan.Zero || options.PerDestinationInterval > TimeSpan.FromHours(1))
        {
            errors.Add($"PerDestinationInterval {options.PerDestinationInterval} is out of range 0 (no limit) to 1 hour");
        }
        if (options.PerDestinationBurst is < 1 or > 1_000_000)
        {
            errors.Add($"PerDestinationBurst {options.PerDestinationBurst} is out of range 1 to 1000000");
        }
        if (options.Destinations is < 1 or > 1 << 20)
        {
            errors.Add($"Destinations {options.Destinations} is out of range 1 to {1 << 20}");
        }
        if (errors.Count > 0)
        {
            throw new RouterConfigurationException(errors);
        }
        return (new TokenBucket(options.GlobalPerSecond, options.GlobalBurst, now),
            new DestinationRateTable(options.Destinations, options.PerDestinationInterval.Ticks * 100, options.PerDestinationBurst));
    }
}
