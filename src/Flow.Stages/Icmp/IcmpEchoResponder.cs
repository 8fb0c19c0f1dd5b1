using System.Runtime.CompilerServices;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Icmp;
using Flow.Protocols.Ipv4;
using Flow.Stages.Ipv4;
using Flow.Stages.Ipv4.Internal;

namespace Flow.Stages.Icmp;

/// <summary>
/// Answers ICMP echo requests sent to any of the router's addresses (RFC 792; RFC 1122 3.2.2.6;
/// RFC 1812 4.3.3.6), in place: same identifier, sequence number and data, so any size the
/// request had (up to the MTU it arrived over) comes back.
/// </summary>
/// <remarks>
/// Input: <c>ipv4_input</c>'s <c>local</c> packets.
/// Output <c>reply</c>: the echo reply — source the address the request was sent to, destination
/// the requester, TTL 64, IP options kept, ICMP checksum patched (RFC 1624), IP checksum
/// recomputed, Ethernet addresses swapped. Route it like any packet the router sends.
/// Output <c>other</c>: local packets that are not echo requests (other ICMP types, UDP, TCP,
/// other protocols), unchanged, for the stages that serve them or answer with unreachable.
/// Drops: <c>malformed</c> (no valid IPv4 header at L3), <c>truncated</c> (ICMP shorter than
/// its 8-byte header), <c>fragment</c> (an ICMP fragment: the router does not reassemble),
/// <c>bad_checksum</c> (the request's ICMP checksum does not verify), <c>broadcast_echo</c>
/// (a request to a broadcast address, ignored as Linux does by default,
/// <c>icmp_echo_ignore_broadcasts</c>; RFC 1122 3.2.2.6 makes answering optional — it is the
/// smurf amplifier, RFC 2644).
/// </remarks>
[Stage("icmp_echo", "Router echo server: answers ICMP echo requests to the router's own addresses in place.",
    Accepts = typeof(Carries.Ipv4))]
public sealed class IcmpEchoResponder : Stage<IcmpEchoResponder.Output, IcmpEchoResponder.Reason>
{
    // Replaced only between batches (by a control message, when addresses change).
    private RouterInterfaceTable _interfaces;
    // Follows addresses a dhcp_client learns (checked in Tick, a batch boundary).
    private readonly InterfaceWatch _watch;

    public IcmpEchoResponder(IcmpEchoResponderOptions options, InterfaceAddressBook? addresses = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _interfaces = RouterInterfaceTable.Create(options.Interfaces);
        _watch = new InterfaceWatch(options.Interfaces, addresses);
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "echo replies to the requesters: route them")]
        Reply,
        [Port(typeof(Carries.Ipv4), "local packets that are not echo requests, unchanged")]
        Other,
    }

    public enum Reason : byte
    {
        [DropReason("no valid IPv4 header at the L3 offset", Severity.Error)]
        Malformed,
        [DropReason("ICMP message shorter than its 8-byte header")]
        Truncated,
        [DropReason("ICMP fragment: the router does not reassemble", Severity.Info)]
        Fragment,
        [DropReason("ICMP checksum does not verify")]
        BadChecksum,
        [DropReason("echo request to a broadcast address, ignored (icmp_echo_ignore_broadcasts)", Severity.Info)]
        BroadcastEcho,
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
        for (int i = 0; i < packets.Length; i++)
        {
            nexts[i] = Answer(packets[i], interfaces);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Next Answer(Packet packet, RouterInterfaceTable interfaces)
    {
        ref PacketMeta meta = ref packet.Meta;
        int l3 = meta.L3Offset;
        Span<byte> data = packet.Data;
        if ((uint)l3 > (uint)data.Length || !Ipv4Packet.TryParse(data.Slice(l3), out Ipv4Packet ip))
        {
            return Drop(Reason.Malformed);
        }
        ref Ipv4Header header = ref ip.Header;
        if (header.Protocol != IpProtocol.Icmp)
        {
            return To(Output.Other);
        }
        if (header.IsFragment)
        {
            return Drop(Reason.Fragment);
        }
        if (!IcmpPacket.TryParse(ip.Payload, out IcmpPacket icmp))
        {
            return Drop(Reason.Truncated);
        }
        if (icmp.Header.Type != IcmpType.EchoRequest)
        {
            return To(Output.Other);
        }
        Ipv4Address destination = header.Destination;
        if (!interfaces.IsOwnAddress(destination.Value.Host))
        {
            return Drop(Reason.BroadcastEcho);
        }
        if (!icmp.HasValidChecksum)
        {
            return Drop(Reason.BadChecksum);
        }
        IcmpBuilder.TryTurnEchoRequestIntoReply(ip, destination);
        if ((meta.Flags & PacketFlags.L2Valid) != 0 && meta.L2Offset + EthernetHeader.Size <= l3)
        {
            Unsafe.As<byte, EthernetHeader>(ref data[meta.L2Offset]).SwapAddresses();
        }
        return To(Output.Reply);
    }
}
