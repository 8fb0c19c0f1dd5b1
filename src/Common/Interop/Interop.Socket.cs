using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static partial class Sys
    {
        public const int AF_INET = 2;
        public const int SOCK_DGRAM = 2;
        public const int SOCK_RAW = 3;
        public const int SOCK_NONBLOCK = 0x800;
        public const int SOCK_CLOEXEC = 0x80000;

        [LibraryImport(Libraries.Libc, EntryPoint = "socket", SetLastError = true)]
        public static partial int Socket(int domain, int type, int protocol);
    }
}
