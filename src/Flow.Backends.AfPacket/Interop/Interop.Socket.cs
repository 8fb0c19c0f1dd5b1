using System.Runtime.InteropServices;

namespace Flow.Backends.AfPacket;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        public const int AF_PACKET = 17;
        public const int SOCK_RAW = 3;
        public const int SOCK_NONBLOCK = 0x800;
        public const int SOCK_CLOEXEC = 0x80000;
        public const ushort ETH_P_ALL = 0x0003;
        public const int MSG_DONTWAIT = 0x40;

        public const int SOL_PACKET = 263;
        public const int PACKET_ADD_MEMBERSHIP = 1;
        public const int PACKET_MR_PROMISC = 1;
        public const int PACKET_RX_RING = 5;
        public const int PACKET_STATISTICS = 6;
        public const int PACKET_VERSION = 10;
        public const int PACKET_TX_RING = 13;
        public const int PACKET_FANOUT = 18;
        public const int PACKET_QDISC_BYPASS = 20;
        public const int PACKET_IGNORE_OUTGOING = 23;
        public const int TPACKET_V2 = 1;
        public const int TPACKET_V3 = 2;

        [LibraryImport(Libraries.Libc, EntryPoint = "socket", SetLastError = true)]
        public static partial int Socket(int domain, int type, int protocol);

        [LibraryImport(Libraries.Libc, EntryPoint = "bind", SetLastError = true)]
        public static partial int Bind(int fd, void* address, uint addressLength);

        [LibraryImport(Libraries.Libc, EntryPoint = "setsockopt", SetLastError = true)]
        public static partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

        [LibraryImport(Libraries.Libc, EntryPoint = "getsockopt", SetLastError = true)]
        public static partial int GetSockOpt(int fd, int level, int name, void* value, uint* length);

        /// <summary>
        /// sendto(2) with no buffer: the TX_RING kick. Not SuppressGCTransition: it runs the
        /// driver's transmit path for every queued frame, which can take many microseconds.
        /// </summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "sendto", SetLastError = true)]
        public static partial nint SendTo(int fd, void* buffer, nuint length, int flags, void* address, uint addressLength);

        [LibraryImport(Libraries.Libc, EntryPoint = "close", SetLastError = true)]
        public static partial int Close(int fd);

        /// <summary>setsockopt of one int; returns 0 or the errno.</summary>
        public static int SetSockOptInt(int fd, int level, int name, int value) =>
            SetSockOpt(fd, level, name, &value, sizeof(int)) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }
}
