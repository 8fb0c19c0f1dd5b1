using System.Runtime.InteropServices;

namespace Flow.Backends.AfPacket;

/// <summary>
/// <c>struct tpacket3_hdr</c> (linux/if_packet.h): the header in front of each received frame
/// inside a TPACKET_V3 block. The frame's Ethernet header starts at <see cref="Mac"/> bytes
/// from this header; <see cref="NextOffset"/> leads to the next frame of the block.
/// </summary>
/// <remarks>
/// <code>
///  0               4               8               12              16
///  +---------------+---------------+---------------+---------------+
///  | tp_next_offset| tp_sec        | tp_nsec       | tp_snaplen    |
///  +---------------+-------+-------+---------------+---------------+ 16
///  | tp_len        | tp_status     |tp_mac |tp_net | hv1.tp_rxhash |
///  +---------------+-------+-------+-------+-------+---------------+ 32
///  | hv1.tp_vlan_tci (u32)         |vlan_tpid|pad  | padding[8] ...|
///  +-------------------------------+-------+-------+---------------+ 48
/// </code>
/// tp_vlan_tci/tp_vlan_tpid carry the 802.1Q tag the kernel took out of the frame (the
/// PACKET_AUXDATA values); valid when <see cref="Status"/> has
/// <see cref="TpacketStatus.VlanValid"/> (and <see cref="TpacketStatus.VlanTpidValid"/> for the TPID).
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct Tpacket3Header
{
    public const int Size = 48;

    [FieldOffset(0)] public uint NextOffset;
    [FieldOffset(4)] public uint Seconds;
    [FieldOffset(8)] public uint Nanoseconds;
    [FieldOffset(12)] public uint SnapLength;
    [FieldOffset(16)] public uint Length;
    [FieldOffset(20)] public uint Status;
    [FieldOffset(24)] public ushort Mac;
    [FieldOffset(26)] public ushort Net;
    [FieldOffset(28)] public uint RxHash;
    [FieldOffset(32)] public uint VlanTci;
    [FieldOffset(36)] public ushort VlanTpid;
}
