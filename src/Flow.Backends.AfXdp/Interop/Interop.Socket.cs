using System.Runtime.InteropServices;

namespace Flow.Backends.AfXdp;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        public const int SOCK_RAW = 3;
        public const int SOCK_CLOEXEC = 0x80000;
        public const int MSG_DONTWAIT = 0x40;

        [LibraryImport(Libraries.Libc, EntryPoint = "socket", SetLastError = true)]
        public static partial int Socket(int domain, int type, int protocol);

        [LibraryImport(Libraries.Libc, EntryPoint = "bind", SetLastError = true)]
        public static partial int Bind(int fd, void* address, uint addressLength);

        [LibraryImport(Libraries.Libc, EntryPoint = "setsockopt", SetLastError = true)]
        public static partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

        [LibraryImport(Libraries.Libc, EntryPoint = "getsockopt", SetLastError = true)]
        public static partial int GetSockOpt(int fd, int level, int name, void* value, uint* length);

        /// <summary>
        /// sendto(2) with no data: the AF_XDP tx kick. In copy mode the kernel transmits inside
        /// this call, so it is not a SuppressGCTransition candidate.
        /// </summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "sendto", SetLastError = true)]
        public static partial nint SendTo(int fd, void* buffer, nuint length, int flags, void* address, uint addressLength);

        /// <summary>recvfrom(2) with no buffer: the AF_XDP rx wakeup when the fill ring asks for one.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "recvfrom", SetLastError = true)]
        public static partial nint RecvFrom(int fd, void* buffer, nuint length, int flags, void* address, uint* addressLength);

        [LibraryImport(Libraries.Libc, EntryPoint = "close", SetLastError = true)]
        public static partial int Close(int fd);
    }
}
