using System.Runtime.InteropServices;

namespace Flow.Backends.Tap;

internal static partial class Interop
{
    internal static partial class Sys
    {
        public const int AF_INET = 2;
        public const int SOCK_DGRAM = 2;
        public const int SOCK_CLOEXEC = 0x80000;

        /// <summary>socket(2): the interface ioctls (MTU, MAC, flags) need any socket of the interface's namespace.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "socket", SetLastError = true)]
        public static partial int Socket(int domain, int type, int protocol);
    }
}
