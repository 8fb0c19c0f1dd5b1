using System.Runtime.CompilerServices;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Internal;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Ipv6;

namespace Flow.Protocols.Icmpv6;

/// <summary>
/// A view over an ICMPv6 message (RFC 4443) with typed access to the bodies of echo
/// (RFC 4443 4) and Neighbour Discovery messages (RFC 4861 4.1-4.4).
/// </summary>
/// <remarks>
/// <code>
/// echo    | type | code | checksum | identifier | sequence | data ...
/// RS      | type | code | checksum | reserved (4)                        | options ...
/// RA      | type | code | checksum | hop limit |M|O| lifetime | reachable (4) | retrans (4) | options ...
/// NS / NA | type | code | checksum | R|S|O reserved (4) | target address (16) | options ...
/// </code>
/// The ND validity checks that need the IP header (hop limit 255, RFC 4861 7.1.1) are the
/// caller's; this view checks lengths and option framing only. Type-specific accessors are
/// meant for their type; on a message too short for them they throw (bounds-checked
/// slices) rather than read past it. Where the options start is decided by the type seen at
/// parse time and kept in the view, so a peer that rewrites the type in shared memory
/// afterwards cannot move <see cref="Options"/> outside the validated message.
/// </remarks>
public readonly ref struct Icmpv6Packet
{
    private const int EchoSize = 8;
    private const int RouterSolicitationSize = 8;
    private const int RouterAdvertisementSize = 16;
    private const int NeighborMessageSize = 24;

    private readonly Span<byte> _bytes;

    /// <summary>Where the ND options start for the parsed type; -1 for types without options.</summary>
    private readonly int _optionsOffset;

    private Icmpv6Packet(Span<byte> bytes, int optionsOffset)
    {
        _bytes = bytes;
        _optionsOffset = optionsOffset;
    }

    public Span<byte> Bytes => _bytes;

    public ref Icmpv6Header Header => ref Wire.As<Icmpv6Header>(_bytes);

    public ushort Identifier => Read16(4);

    public ushort SequenceNumber => Read16(6);

    /// <summary>Target address of a neighbour solicitation or advertisement.</summary>
    public ref Ipv6Address TargetAddress => ref Wire.As<Ipv6Address>(_bytes.Slice(8, 16));

    /// <summary>NA router flag.</summary>
    public bool IsRouter => (_bytes[4] & 0x80) != 0;

    /// <summary>NA solicited flag.</summary>
    public bool IsSolicited => (_bytes[4] & 0x40) != 0;

    /// <summary>NA override flag.</summary>
    public bool IsOverride => (_bytes[4] & 0x20) != 0;

    /// <summary>RA current hop limit.</summary>
    public byte CurrentHopLimit => _bytes[4];

    /// <summary>RA managed address configuration flag.</summary>
    public bool IsManaged => (_bytes[5] & 0x80) != 0;

    /// <summary>RA other configuration flag.</summary>
    public bool IsOtherConfiguration => (_bytes[5] & 0x40) != 0;

    /// <summary>RA router lifetime in seconds.</summary>
    public ushort RouterLifetime => Read16(6);

    /// <summary>RA reachable time in milliseconds.</summary>
    public uint ReachableTime => Wire.As<NetU32>(_bytes.Slice(8, 4)).Host;

    /// <summary>RA retransmission timer in milliseconds.</summary>
    public uint RetransmitTimer => Wire.As<NetU32>(_bytes.Slice(12, 4)).Host;

    /// <summary>The ND options; empty for other types.</summary>
    public Span<byte> Options => _optionsOffset < 0 ? default : _bytes.Slice(_optionsOffset);

    public NdOptionReader GetOptionReader() => new(Options);

    public bool HasValidChecksum(Ipv6Address source, Ipv6Address destination) =>
        Checksum.Sum(_bytes, Checksum.PseudoHeaderSum(source, destination, IpProtocol.Icmpv6, (uint)_bytes.Length)) == 0xFFFF;

    /// <summary>The link-layer address in the first source (1) or target (2) link-layer address option.</summary>
    public bool TryGetLinkLayerAddress(byte optionType, out MacAddress address)
    {
        NdOptionReader reader = GetOptionReader();
        while (reader.TryReadNext(out byte type, out ReadOnlySpan<byte> data))
        {
            if (type == optionType && data.Length >= 6)
            {
                address = new MacAddress(data);
                return true;
            }
        }

        address = default;
        return false;
    }

    /// <summary>
    /// Parses the upper-layer payload of an IPv6 packet. False when shorter than the
    /// fixed part of its type, or, for ND messages, when an option has length zero or runs
    /// past the message (RFC 4861 6.1.1, 6.1.2, 7.1.1, 7.1.2).
    /// </summary>
    public static bool TryParse(Span<byte> bytes, out Icmpv6Packet view)
    {
        view = default;
        if ((uint)bytes.Length < Icmpv6Header.Size)
        {
            return false;
        }

        byte type = bytes[0];
        int optionsOffset = OptionsOffset(type);
        int minimum = type is Icmpv6Type.EchoRequest or Icmpv6Type.EchoReply ? EchoSize : Math.Max(optionsOffset, Icmpv6Header.Size);
        if ((uint)bytes.Length < (uint)minimum)
        {
            return false;
        }

        if (optionsOffset >= 0)
        {
            NdOptionReader reader = new(bytes.Slice(optionsOffset));
            while (reader.TryReadNext(out _, out _))
            {
            }

            if (reader.IsMalformed)
            {
                return false;
            }
        }

        view = new Icmpv6Packet(bytes, optionsOffset);
        return true;
    }

    /// <summary>Where ND options start; -1 for types that carry none.</summary>
    private static int OptionsOffset(byte type) => type switch
    {
        Icmpv6Type.RouterSolicitation => RouterSolicitationSize,
        Icmpv6Type.RouterAdvertisement => RouterAdvertisementSize,
        Icmpv6Type.NeighborSolicitation or Icmpv6Type.NeighborAdvertisement => NeighborMessageSize,
        _ => -1,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ushort Read16(int offset) => Wire.As<NetU16>(_bytes.Slice(offset, 2)).Host;
}
