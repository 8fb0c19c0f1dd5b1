using System.Runtime.InteropServices;

namespace Flow.Backends.Pcap;

/// <summary>
/// The 24-byte global header at the start of a classic pcap file (not pcapng), in the byte
/// order of the machine that wrote it; <see cref="Magic"/> tells which order and which
/// timestamp resolution (draft-ietf-opsawg-pcap section 4).
/// </summary>
/// <remarks>
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                          Magic Number                         |  0
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |          Major Version        |         Minor Version         |  4
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                           Reserved1 (thiszone)                |  8
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                           Reserved2 (sigfigs)                 | 12
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                            SnapLen                            | 16
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// | FCS |f|0 0 0 0 0 0 0 0 0 0 0 0|         LinkType              | 20
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </remarks>
[StructLayout(LayoutKind.Sequential, Size = Size)]
public struct PcapFileHeader
{
    public const int Size = 24;

    /// <summary>Microsecond timestamps, in the writer's byte order.</summary>
    public const uint MagicMicroseconds = 0xA1B2C3D4;

    /// <summary>Nanosecond timestamps, in the writer's byte order.</summary>
    public const uint MagicNanoseconds = 0xA1B23C4D;

    /// <summary>LINKTYPE_ETHERNET: IEEE 802.3 frames without preamble and FCS.</summary>
    public const uint LinkTypeEthernet = 1;

    public uint Magic;
    public ushort VersionMajor;
    public ushort VersionMinor;
    public int ThisZone;
    public uint SigFigs;
    public uint SnapLength;
    public uint LinkType;
}
