using Flow.Protocols.Icmp;

namespace Flow.Stages.Icmp;

/// <summary>
/// How a stage asks <c>icmp_error</c> for an error about a packet: it writes one of these values
/// into <see cref="PacketMeta.UserWord"/> and sends the packet, unchanged, to an output that
/// leads to <c>icmp_error</c>. The field is free at that point: the packet stops being what it
/// was and becomes the error.
/// </summary>
/// <remarks>
/// <code>
///  63              48 47          40 39          32 31                              0
/// +------------------+--------------+--------------+--------------------------------+
/// | Marker 0x1C4E    | ICMP type    | ICMP code    | rest of ICMP header (host order)|
/// +------------------+--------------+--------------+--------------------------------+
/// </code>
/// The marker lets <c>icmp_error</c> tell a request from a packet wired to it by mistake.
/// Only the kinds below are accepted (RFC 792, RFC 1191, RFC 1812 5.2.7.1).
/// </remarks>
public static class IcmpErrorRequest
{
    public const ulong Marker = 0x1C4EUL << 48;
    private const ulong MarkerMask = 0xFFFFUL << 48;

    /// <summary>Time exceeded, TTL exceeded in transit (11/0): <c>ipv4_forward</c>.</summary>
    public const ulong TimeExceeded = Marker | (ulong)IcmpType.TimeExceeded << 40 | (ulong)IcmpType.CodeTtlExceeded << 32;

    /// <summary>Network unreachable (3/0): no route.</summary>
    public const ulong NetUnreachable = Marker | (ulong)IcmpType.DestinationUnreachable << 40 | (ulong)IcmpType.CodeNetUnreachable << 32;

    /// <summary>Host unreachable (3/1): the neighbour did not answer ARP.</summary>
    public const ulong HostUnreachable = Marker | (ulong)IcmpType.DestinationUnreachable << 40 | (ulong)IcmpType.CodeHostUnreachable << 32;

    /// <summary>Protocol unreachable (3/2): local delivery of a protocol the router does not speak.</summary>
    public const ulong ProtocolUnreachable = Marker | (ulong)IcmpType.DestinationUnreachable << 40 | (ulong)IcmpType.CodeProtocolUnreachable << 32;

    /// <summary>Port unreachable (3/3): local UDP to a port nothing listens on.</summary>
    public const ulong PortUnreachable = Marker | (ulong)IcmpType.DestinationUnreachable << 40 | (ulong)IcmpType.CodePortUnreachable << 32;

    /// <summary>Communication administratively prohibited (3/13): a reject route or a filter.</summary>
    public const ulong AdminProhibited = Marker | (ulong)IcmpType.DestinationUnreachable << 40 | (ulong)IcmpType.CodeAdministrativelyProhibited << 32;

    /// <summary>Fragmentation needed and DF set (3/4) with the next-hop MTU (RFC 1191 4).</summary>
    public static ulong FragmentationNeeded(ushort nextHopMtu) =>
        Marker | (ulong)IcmpType.DestinationUnreachable << 40 | (ulong)IcmpType.CodeFragmentationNeeded << 32 | nextHopMtu;

    /// <summary>Reads a request; false when <paramref name="word"/> is not one of the kinds above.</summary>
    public static bool TryDecode(ulong word, out byte type, out byte code, out uint restOfHeader)
    {
        type = (byte)(word >> 40);
        code = (byte)(word >> 32);
        restOfHeader = (uint)word;
        if ((word & MarkerMask) != Marker)
        {
            return false;
        }
        return type switch
        {
            IcmpType.TimeExceeded => code == IcmpType.CodeTtlExceeded && restOfHeader == 0,
            IcmpType.DestinationUnreachable => code switch
            {
                IcmpType.CodeFragmentationNeeded => restOfHeader is >= 68 and <= 0xFFFF,
                IcmpType.CodeNetUnreachable or IcmpType.CodeHostUnreachable or IcmpType.CodeProtocolUnreachable
                    or IcmpType.CodePortUnreachable or IcmpType.CodeAdministrativelyProhibited => restOfHeader == 0,
                _ => false,
            },
            _ => false,
        };
    }
}
