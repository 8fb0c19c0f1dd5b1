using System.Runtime.InteropServices;

namespace Flow.Protocols.Icmp;

/// <summary>The 8-byte ICMP header (RFC 792).</summary>
/// <remarks>
/// <code>
/// +---------------+---------------+-------------------------------+
/// |     Type      |     Code      |          Checksum             |
/// +---------------+---------------+-------------------------------+
/// |  echo: Identifier             |  echo: Sequence Number        |
/// |  frag needed: unused          |  Next-Hop MTU (RFC 1191 4)    |
/// |  parameter problem: Pointer, unused ...                       |
/// +---------------------------------------------------------------+
/// </code>
/// </remarks>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct IcmpHeader
{
    public const int Size = 8;

    public byte Type;
    public byte Code;
    public NetU16 Checksum;

    /// <summary>The type-specific second word; the properties below name its uses.</summary>
    public NetU32 RestOfHeader;

    public ushort Identifier
    {
        readonly get => (ushort)(RestOfHeader.Host >> 16);
        set => RestOfHeader = new NetU32((RestOfHeader.Host & 0xFFFF) | ((uint)value << 16));
    }

    public ushort SequenceNumber
    {
        readonly get => (ushort)RestOfHeader.Host;
        set => RestOfHeader = new NetU32((RestOfHeader.Host & 0xFFFF0000) | value);
    }

    /// <summary>Next-hop MTU of a fragmentation-needed message (RFC 1191 4), same slot as the sequence number.</summary>
    public ushort NextHopMtu
    {
        readonly get => SequenceNumber;
        set => SequenceNumber = value;
    }

    /// <summary>Octet that caused a parameter problem (RFC 792), the first byte of the second word.</summary>
    public readonly byte Pointer => (byte)(RestOfHeader.Host >> 24);
}
