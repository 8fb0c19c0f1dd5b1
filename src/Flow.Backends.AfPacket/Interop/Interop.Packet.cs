using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    /// <summary>AF_PACKET sockets and their rings (linux/if_packet.h, linux/if_ether.h).</summary>
    internal static unsafe partial class Sys
    {
        public const int AF_PACKET = 17;
        public const ushort ETH_P_ALL = 0x0003;

        public const int SOL_PACKET = 263;
        public const int PACKET_ADD_MEMBERSHIP = 1;
        public const int PACKET_MR_PROMISC = 1;
        public const int PACKET_RX_RING = 5;
        public const int PACKET_STATISTICS = 6;
        public const int PACKET_VERSION = 10;
        public const int PACKET_TX_RING = 13;
        public const int PACKET_FANOUT = 18;

        /// <summary>Fanout type flag (Linux 6.5+): the group ignores outgoing frames, as PACKET_IGNORE_OUTGOING does for one socket.</summary>
        public const int PACKET_FANOUT_FLAG_IGNORE_OUTGOING = 0x4000;
        public const int PACKET_QDISC_BYPASS = 20;
        public const int PACKET_IGNORE_OUTGOING = 23;
        public const int TPACKET_V2 = 1;
        public const int TPACKET_V3 = 2;

        /// <summary>setsockopt of one int; returns 0 or the errno.</summary>
        public static int SetSockOptInt(int fd, int level, int name, int value) =>
            SetSockOpt(fd, level, name, &value, sizeof(int)) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }
}
