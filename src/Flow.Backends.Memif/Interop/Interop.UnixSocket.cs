using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        public const int AF_UNIX = 1;
        public const int SOCK_SEQPACKET = 5;
        public const int SHUT_RDWR = 2;

        /// <summary>sizeof(sun_path) in struct sockaddr_un.</summary>
        public const int SunPathSize = 108;

        [StructLayout(LayoutKind.Sequential)]
        public struct SockAddrUn
        {
            public ushort Family;
            public fixed byte Path[SunPathSize];
        }

        [LibraryImport(Libraries.Libc, EntryPoint = "connect", SetLastError = true)]
        public static partial int Connect(int fd, SockAddrUn* address, uint length);

        [LibraryImport(Libraries.Libc, EntryPoint = "listen", SetLastError = true)]
        public static partial int Listen(int fd, int backlog);

        [LibraryImport(Libraries.Libc, EntryPoint = "accept4", SetLastError = true)]
        public static partial int Accept4(int fd, void* address, uint* length, int flags);

        [LibraryImport(Libraries.Libc, EntryPoint = "shutdown", SetLastError = true)]
        public static partial int Shutdown(int fd, int how);

        [LibraryImport(Libraries.Libc, EntryPoint = "chmod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Chmod(string path, uint mode);

        /// <summary>
        /// Fills a sockaddr_un for a file-system path or, when <paramref name="isAbstract"/>, an
        /// abstract name (sun_path[0] = 0, no file). Returns the address length to pass, or -1 when
        /// the name is too long. The abstract length is exact (family + NUL + name), which is how
        /// DPDK's net_memif binds: the kernel compares abstract names over that length.
        /// </summary>
        public static int MakeAddress(string name, bool isAbstract, SockAddrUn* address)
        {
            // Zeroed explicitly: the structure goes to the kernel.
            *address = default;
            address->Family = AF_UNIX;
            byte[] bytes = System.Text.Encoding.UTF8.GetBytes(name);
            int start = isAbstract ? 1 : 0;
            if (bytes.Length + start >= SunPathSize)
            {
                return -1;
            }
            for (int i = 0; i < bytes.Length; i++)
            {
                address->Path[start + i] = bytes[i];
            }
            return sizeof(ushort) + start + bytes.Length + (isAbstract ? 0 : 1);
        }
    }
}
