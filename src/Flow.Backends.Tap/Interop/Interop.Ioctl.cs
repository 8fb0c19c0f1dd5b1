using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        public const nuint TUNSETIFF = 0x400454CA;
        public const short IFF_TAP = 0x0002;
        public const short IFF_MULTI_QUEUE = 0x0100;
        public const short IFF_NO_PI = 0x1000;

        /// <summary>TUNSETIFF fails with EBUSY instead of attaching when the interface already exists.</summary>
        public const short IFF_TUN_EXCL = unchecked((short)0x8000);

        public const nuint SIOCGIFFLAGS = 0x8913;
        public const nuint SIOCSIFFLAGS = 0x8914;
        public const nuint SIOCSIFMTU = 0x8922;
        public const nuint SIOCSIFHWADDR = 0x8924;
        public const short IFF_UP = 0x1;
        public const ushort ARPHRD_ETHER = 1;

        /// <summary>
        /// ioctl(2) with a pointer argument. ioctl is variadic in C; on x86-64 and arm64 Linux a
        /// pointer third argument is passed the same way as in a fixed-argument call.
        /// </summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "ioctl", SetLastError = true)]
        public static partial int Ioctl(int fd, nuint request, void* argument);
    }
}
