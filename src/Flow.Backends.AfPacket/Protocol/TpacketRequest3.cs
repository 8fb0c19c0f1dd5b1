using System.Runtime.InteropServices;

namespace Flow.Backends.AfPacket;

/// <summary>
/// <c>struct tpacket_req3</c>: geometry of a TPACKET_V3 ring (PACKET_RX_RING), and with its
/// first four fields, <c>struct tpacket_req</c> for a V2 ring (PACKET_TX_RING).
/// </summary>
/// <remarks>
/// <code>
///  0               4               8               12              16
///  +---------------+---------------+---------------+---------------+
///  | block_size    | block_nr      | frame_size    | frame_nr      |  tpacket_req ends here
///  +---------------+---------------+---------------+---------------+ 16
///  | retire_blk_tov| sizeof_priv   | feature_req_word              |
///  +---------------+---------------+---------------+ 28
/// </code>
/// </remarks>
[StructLayout(LayoutKind.Sequential, Size = Size)]
public struct TpacketRequest3
{
    public const int Size = 28;

    /// <summary>sizeof(struct tpacket_req).</summary>
    public const int V2Size = 16;

    public uint BlockSize;
    public uint BlockCount;
    public uint FrameSize;
    public uint FrameCount;
    public uint RetireBlockTimeoutMs;
    public uint SizeOfPrivate;
    public uint FeatureRequestWord;
}
