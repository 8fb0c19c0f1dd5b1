using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Flow.Protocols;
using Flow.Protocols.Ipv4;
using Flow.Stages.Ipv4.Internal;

namespace Flow.Stages.Ipv4;

/// <summary>
/// IPv4 input of the router: validates each header as RFC 1812 5.2.2 requires, trims Ethernet
/// padding to the IP Total Length, and decides between local delivery and forwarding, never
/// forwarding martians or broadcasts (RFC 1812 5.3.7, 5.3.5, 5.3.4; RFC 3927 2.7).
/// </summary>
/// <remarks>
/// Input: IPv4 frames from <c>eth_classify</c> (L3 offset at the IPv4 header, L2 offset at the
/// Ethernet header).
/// Output <c>local</c>: for the router itself — one of its addresses (on any interface, as
/// Linux's weak host model), the limited broadcast 255.255.255.255, or the directed broadcast
/// of an attached prefix. TTL is not touched (RFC 1812 5.3.1 applies to forwarding only).
/// Output <c>forward</c>: everything else that may be forwarded; send it to the route lookup.
/// Both leave with the frame trimmed to L3 offset + Total Length, the L4 offset after the
/// header and its options, and <see cref="PacketFlags.L3ChecksumGood"/> set. Options are kept
/// byte for byte (ipv4_forward changes only TTL and checksum).
/// Drops, in the order the checks run (RFC 1812 5.2.2 numbers its steps; version and IHL are
/// checked before the checksum because the checksum covers IHL×4 bytes):
/// <c>too_short</c> (fewer than 20 bytes, step 1), <c>bad_version</c> (step 3),
/// <c>bad_header_length</c> (IHL &lt; 5, step 4), <c>truncated</c> (header or Total Length
/// beyond the frame), <c>bad_checksum</c> (step 2), <c>bad_total_length</c> (Total Length &lt;
/// IHL×4, step 5), <c>bad_options</c> (an option runs past the header: RFC 1812 5.2.2 would send
/// a parameter problem; the packet is dropped), <c>source_route</c> (LSRR/SSRR unless
/// <see cref="Ipv4ValidatorOptions.AcceptSourceRoute"/>), <c>martian_source</c> (source in 0/8,
/// 127/8, 224/4, 240/4, an own address or attached broadcast — 0.0.0.0 is allowed only to the
/// limited broadcast, for DHCP clients, RFC 2131 4.1 — and, when forwarding, 169.254/16),
/// <c>martian_destination</c> (0/8, 127/8, 240/4 but 255.255.255.255, and when forwarding
/// 169.254/16), <c>multicast</c> (224/4: the router neither routes multicast nor joins groups),
/// <c>link_broadcast</c> (unicast IP received as a link-layer broadcast or multicast, never
/// forwarded, RFC 1812 5.3.4).
/// A packet sent from the shared memory of a peer (memif client role) may change under the
/// stage: every length used is read once into a local and checked before use.
/// </remarks>
[Stage("ipv4_input", "Router IPv4 input: RFC 1812 header validation, padding trim, martian and broadcast filtering, local or forward.",
    Accepts = typeof(Carries.Ethernet))]
public sealed partial class Ipv4Validator : Stage<Ipv4Validator.Output, Ipv4Validator.Reason>
{
    private const uint LimitedBroadcast = 0xFFFF_FFFF;
    private const uint LinkLocalPrefix = 0xA9FE_0000;   // 169.254.0.0/16, RFC 3927

    // Replaced only between batches (by a control message, when addresses change).
    private RouterInterfaceTable _interfaces;
    // Follows addresses a dhcp_client learns (checked in Tick, a batch boundary).
    private readonly InterfaceWatch _watch;
    private readonly bool _acceptSourceRoute;

    public Ipv4Validator(Ipv4ValidatorOptions options, InterfaceAddressBook? addresses = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _interfaces = RouterInterfaceTable.Create(options.Interfaces);
        _watch = new InterfaceWatch(options.Interfaces, addresses);
        _acceptSourceRoute = options.AcceptSourceRoute;
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "packets for the router: own addresses, limited and attached-subnet broadcasts")]
        Local,
        [Port(typeof(Carries.Ipv4), "valid packets to forward: send to the route lookup")]
        Forward,
    }

    public enum Reason : byte
    {
        [DropReason("fewer than 20 bytes after the Ethernet header (RFC 1812 5.2.2 step 1)")]
        TooShort,
        [DropReason("IP version is not 4 (RFC 1812 5.2.2 step 3)")]
        BadVersion,
        [DropReason("IHL below 5 words (RFC 1812 5.2.2 step 4)")]
        BadHeaderLength,
        [DropReason("header or Total Length runs past the end of the frame")]
        Truncated,
        [DropReason("header checksum does not verify (RFC 1812 5.2.2 step 2)")]
        BadChecksum,
        [DropReason("Total Length shorter than the header (RFC 1812 5.2.2 step 5)")]
        BadTotalLength,
        [DropReason("an IP option runs past the header")]
        BadOptions,
        [DropReason("loose or strict source-route option (RFC 7126 4.3, 4.4)", Severity.Info)]
        SourceRoute,
        [DropReason("source address no host may have, or one of the router's (RFC 1812 5.3.7)")]
        MartianSource,
        [DropReason("destination address that is never forwarded (RFC 1812 5.3.7, RFC 3927)")]
        MartianDestination,
        [DropReason("multicast destination: no multicast routing, no groups joined", Severity.Info)]
        Multicast,
        [DropReason("unicast IP received as a link-layer broadcast or multicast (RFC 1812 5.3.4)")]
        LinkBroadcast,
    }

    /// <summary>The interface table in use.</summary>
    public RouterInterfaceTable Interfaces => _interfaces;

    /// <summary>Replaces the interface table; a control message, run between batches.</summary>
    public void SetInterfaces(RouterInterfaceTable interfaces)
    {
        ArgumentNullException.ThrowIfNull(interfaces);
        _interfaces = interfaces;
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
        RouterInterfaceTable interfaces = _interfaces;
        bool acceptSourceRoute = _acceptSourceRoute;
        for (int i = 0; i < packets.Length; i++)
        {
            nexts[i] = Validate(packets[i], interfaces, acceptSourceRoute);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Next Validate(Packet packet, RouterInterfaceTable interfaces, bool acceptSourceRoute)
    {
        ref PacketMeta meta = ref packet.Meta;
        int l3 = meta.L3Offset;
        int available = meta.Length - l3;
        // RFC 1812 5.2.2 step 1: room for the smallest legal datagram.
        if (available < Ipv4Header.Size)
        {
            return Drop(Reason.TooShort);
        }
        byte* ip = packet.DataPointer + l3;
        byte versionAndLength = ip[0];
        // Step 3.
        if (versionAndLength >> 4 != 4)
        {
            return Drop(Reason.BadVersion);
        }
        // Step 4.
        int headerLength = (versionAndLength & 0xF) * 4;
        if (headerLength < Ipv4Header.Size)
        {
            return Drop(Reason.BadHeaderLength);
        }
        if (headerLength > available)
        {
            return Drop(Reason.Truncated);
        }
        // Step 2, over the header length read above (not re-read from the packet).
        if (!Checksum.IsValid(new ReadOnlySpan<byte>(ip, headerLength)))
        {
            return Drop(Reason.BadChecksum);
        }
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(ip + 2, 2));
        // Step 5.
        if (totalLength < headerLength)
        {
            return Drop(Reason.BadTotalLength);
        }
        // The link layer delivered less than the datagram claims (RFC 1812 5.2.2, after the list).
        if (totalLength > available)
        {
            return Drop(Reason.Truncated);
        }
        if (headerLength > Ipv4Header.Size)
        {
            Reason? optionProblem = CheckOptions(new ReadOnlySpan<byte>(ip + Ipv4Header.Size, headerLength - Ipv4Header.Size), acceptSourceRoute);
            if (optionProblem is Reason problem)
            {
                return Drop(problem);
            }
        }

        uint source = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(ip + 12, 4));
        uint destination = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(ip + 16, 4));
        Output output;
        if (destination == LimitedBroadcast)
        {
            // Never forwarded (RFC 1812 5.3.5.1). From 0.0.0.0 too: a DHCP client has no address yet.
            if (source != 0 && !IsValidSource(source, interfaces))
            {
                return Drop(Reason.MartianSource);
            }
            output = Output.Local;
        }
        else
        {
            if (!IsValidSource(source, interfaces))
            {
                return Drop(Reason.MartianSource);
            }
            if (destination >> 28 == 0xE)
            {
                return Drop(Reason.Multicast);
            }
            if (!RouterInterfaceTable.IsUnicastHost(destination))
            {
                return Drop(Reason.MartianDestination);
            }
            if (interfaces.IsOwnAddress(destination) || interfaces.IsSubnetBroadcast(destination))
            {
                output = Output.Local;
            }
            else
            {
                // Forwarding only: link-local addresses stay on their link (RFC 3927 2.7), and a
                // unicast packet sent to a link-layer group is not forwarded (RFC 1812 5.3.4).
                if ((source & 0xFFFF_0000) == LinkLocalPrefix)
                {
                    return Drop(Reason.MartianSource);
                }
                if ((destination & 0xFFFF_0000) == LinkLocalPrefix)
                {
                    return Drop(Reason.MartianDestination);
                }
                if ((meta.Flags & PacketFlags.L2Valid) != 0 && meta.L2Offset < l3 && (packet.DataPointer[meta.L2Offset] & 1) != 0)
                {
                    return Drop(Reason.LinkBroadcast);
                }
                output = Output.Forward;
            }
        }

        // Ethernet pads frames to 60 bytes; the padding is not part of the datagram.
        meta.Length = (ushort)(l3 + totalLength);
        meta.L4Offset = (ushort)(l3 + headerLength);
        meta.Flags |= PacketFlags.L3Valid | PacketFlags.L3ChecksumGood;
        return To(output);
    }

    /// <summary>A source a single host may have (RFC 1812 5.3.7) that is not the router's own or an attached broadcast.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsValidSource(uint source, RouterInterfaceTable interfaces) =>
        RouterInterfaceTable.IsUnicastHost(source) && !interfaces.IsOwnAddress(source) && !interfaces.IsSubnetBroadcast(source);

    /// <summary>Options are rare: walked out of line, only when IHL &gt; 5.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Reason? CheckOptions(ReadOnlySpan<byte> options, bool acceptSourceRoute)
    {
        int offset = 0;
        while (offset < options.Length)
        {
            byte type = options[offset];
            if (type == Ipv4OptionType.EndOfList)
            {
                return null;
            }
            if (type == Ipv4OptionType.NoOperation)
            {
                offset++;
                continue;
            }
            // Every other option has a length byte counting itself and the type (RFC 791 3.1).
            if (offset + 1 >= options.Length)
            {
                return Reason.BadOptions;
            }
            int length = options[offset + 1];
            if (length < 2 || length > options.Length - offset)
            {
                return Reason.BadOptions;
            }
            if (!acceptSourceRoute && Ipv4OptionType.IsSourceRoute(type))
            {
                return Reason.SourceRoute;
            }
            offset += length;
        }
        return null;
    }
}
