using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        public const int MSG_DONTWAIT = 0x40;

        /// <summary>
        /// sendto(2). With no data it is the tx kick of a mapped ring (AF_XDP, AF_PACKET TX_RING):
        /// the kernel runs the driver's transmit path for every queued frame inside this call,
        /// which can take many microseconds, so it is never marked SuppressGCTransition.
        /// </summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "sendto", SetLastError = true)]
        public static partial nint SendTo(int fd, void* buffer, nuint length, int flags, void* address, uint addressLength);
    }
}
