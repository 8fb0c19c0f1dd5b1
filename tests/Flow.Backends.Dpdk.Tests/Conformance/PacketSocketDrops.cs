using System.Runtime.InteropServices;

namespace Flow.Backends.Dpdk.Tests.Conformance;

/// <summary>PACKET_STATISTICS of every AF_PACKET socket this process holds (linux/if_packet.h).</summary>
internal static unsafe partial class PacketSocketDrops
{
    private const int SolPacket = 263;
    private const int PacketStatistics = 6;

    /// <summary>tp_drops summed over the process's packet sockets; each read resets the kernel's counters.</summary>
    public static long ReadAndReset()
    {
        long drops = 0;
        // struct tpacket_stats_v3 (tp_packets, tp_drops, tp_freeze_q_cnt); only packet sockets answer.
        uint* stats = stackalloc uint[3];
        // Every fd is asked: anything but a packet socket refuses (ENOTSOCK, ENOPROTOOPT).
        foreach (string entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            uint length = 12;
            if (int.TryParse(Path.GetFileName(entry), out int fd) && GetSockOpt(fd, SolPacket, PacketStatistics, stats, &length) == 0)
            {
                drops += stats[1];
            }
        }
        return drops;
    }

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static partial int GetSockOpt(int fd, int level, int name, void* value, uint* length);
}
