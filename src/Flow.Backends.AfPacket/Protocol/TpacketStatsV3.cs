using System.Runtime.InteropServices;

namespace Flow.Backends.AfPacket;

/// <summary>
/// <c>struct tpacket_stats_v3</c> from getsockopt(PACKET_STATISTICS) on a V3 socket. Reading
/// resets the kernel's counters, so the reader accumulates.
/// </summary>
/// <remarks>
/// <code>
///  0               4               8               12
///  +---------------+---------------+---------------+
///  | tp_packets    | tp_drops      | tp_freeze_q_cnt
///  +---------------+---------------+---------------+
/// </code>
/// tp_packets counts every frame the socket saw, including those in tp_drops.
/// </remarks>
[StructLayout(LayoutKind.Sequential, Size = Size)]
public struct TpacketStatsV3
{
    public const int Size = 12;

    public uint Packets;
    public uint Drops;
    public uint FreezeQueueCount;
}
