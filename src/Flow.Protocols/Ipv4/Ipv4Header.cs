using System.Runtime.InteropServices;

namespace Flow.Protocols.Ipv4;

/// <summary>The fixed 20-byte part of the IPv4 header (RFC 791 3.1).</summary>
/// <remarks>
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Version|  IHL  |   DSCP/ECN    |          Total Length         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |         Identification        |Flags|      Fragment Offset    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  Time to Live |    Protocol   |         Header Checksum       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                       Source Address                          |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                    Destination Address                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                    Options (IHL > 5)                          |
/// </code>
/// </remarks>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct Ipv4Header
{
    public const int Size = 20;
    public const int MaxSize = 60;

    public byte VersionAndHeaderLength;
    public byte TypeOfService;
    public NetU16 TotalLength;
    public NetU16 Identification;
    public NetU16 FlagsAndFragmentOffset;
    public byte TimeToLive;
    public byte Protocol;
    public NetU16 HeaderChecksum;
    public Ipv4Address Source;
    public Ipv4Address Destination;

    public readonly int Version => VersionAndHeaderLength >> 4;

    /// <summary>IHL in bytes (the field counts 32-bit words).</summary>
    public readonly int HeaderLength => (VersionAndHeaderLength & 0xF) * 4;

    public readonly bool DontFragment => (FlagsAndFragmentOffset.Host & 0x4000) != 0;

    public readonly bool MoreFragments => (FlagsAndFragmentOffset.Host & 0x2000) != 0;

    /// <summary>Fragment offset in bytes (the field counts 8-byte units).</summary>
    public readonly int FragmentOffset => (FlagsAndFragmentOffset.Host & 0x1FFF) * 8;

    public readonly bool IsFragment => (FlagsAndFragmentOffset.Host & 0x3FFF) != 0;

    /// <summary>
    /// Decrements TTL and patches the checksum incrementally (RFC 1624 eqn. 3 over the
    /// TTL/protocol word; RFC 1812 5.3.1). The caller has checked TTL &gt; 1.
    /// </summary>
    public void DecrementTimeToLive()
    {
        NetU16 before = new((ushort)((TimeToLive << 8) | Protocol));
        TimeToLive--;
        NetU16 after = new((ushort)((TimeToLive << 8) | Protocol));
        HeaderChecksum = Checksum.Update(HeaderChecksum, before, after);
    }

    /// <summary>Rewrites the source address, patching the header checksum (RFC 1624; NAT).</summary>
    public void RewriteSource(Ipv4Address address)
    {
        HeaderChecksum = Checksum.Update(HeaderChecksum, Source.Value, address.Value);
        Source = address;
    }

    /// <summary>Rewrites the destination address, patching the header checksum (RFC 1624; NAT).</summary>
    public void RewriteDestination(Ipv4Address address)
    {
        HeaderChecksum = Checksum.Update(HeaderChecksum, Destination.Value, address.Value);
        Destination = address;
    }
}
