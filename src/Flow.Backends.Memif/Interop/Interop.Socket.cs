using System.Runtime.InteropServices;

namespace Flow.Backends.Memif;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        public const int AF_UNIX = 1;
        public const int SOCK_SEQPACKET = 5;
        public const int SOCK_CLOEXEC = 0x80000;
        public const int SOCK_NONBLOCK = 0x800;
        public const int SOL_SOCKET = 1;
        public const int SCM_RIGHTS = 1;
        public const int MSG_DONTWAIT = 0x40;
        public const int MSG_NOSIGNAL = 0x4000;
        public const int MSG_CTRUNC = 0x8;
        public const int MSG_TRUNC = 0x20;
        public const int MSG_CMSG_CLOEXEC = 0x40000000;
        public const int SHUT_RDWR = 2;

        /// <summary>connect(2) to a socket file nobody listens on any more (a stale file).</summary>
        public const int ECONNREFUSED = 111;

        /// <summary>sizeof(sun_path) in struct sockaddr_un.</summary>
        public const int SunPathSize = 108;

        [StructLayout(LayoutKind.Sequential)]
        public struct SockAddrUn
        {
            public ushort Family;
            public fixed byte Path[SunPathSize];
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct IoVec
        {
            public void* Base;
            public nuint Length;
        }

        /// <summary>struct msghdr (x86-64 / arm64 glibc layout, 56 bytes).</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct MsgHdr
        {
            public void* Name;
            public uint NameLength;
            public IoVec* Iov;
            public nuint IovLength;
            public void* Control;
            public nuint ControlLength;
            public int Flags;
        }

        /// <summary>struct cmsghdr header (16 bytes); data follows, aligned to 8.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct CmsgHdr
        {
            public nuint Length;
            public int Level;
            public int Type;
        }

        public static int CmsgAlign(int length) => (length + 7) & ~7;

        public static int CmsgSpace(int dataLength) => sizeof(CmsgHdr) + CmsgAlign(dataLength);

        public static int CmsgLen(int dataLength) => sizeof(CmsgHdr) + dataLength;

        [LibraryImport(Libraries.Libc, EntryPoint = "socket", SetLastError = true)]
        public static partial int Socket(int domain, int type, int protocol);

        [LibraryImport(Libraries.Libc, EntryPoint = "bind", SetLastError = true)]
        public static partial int Bind(int fd, SockAddrUn* address, uint length);

        [LibraryImport(Libraries.Libc, EntryPoint = "connect", SetLastError = true)]
        public static partial int Connect(int fd, SockAddrUn* address, uint length);

        [LibraryImport(Libraries.Libc, EntryPoint = "listen", SetLastError = true)]
        public static partial int Listen(int fd, int backlog);

        [LibraryImport(Libraries.Libc, EntryPoint = "accept4", SetLastError = true)]
        public static partial int Accept4(int fd, void* address, uint* length, int flags);

        [LibraryImport(Libraries.Libc, EntryPoint = "sendmsg", SetLastError = true)]
        public static partial nint SendMsg(int fd, MsgHdr* message, int flags);

        [LibraryImport(Libraries.Libc, EntryPoint = "recvmsg", SetLastError = true)]
        public static partial nint RecvMsg(int fd, MsgHdr* message, int flags);

        [LibraryImport(Libraries.Libc, EntryPoint = "shutdown", SetLastError = true)]
        public static partial int Shutdown(int fd, int how);

        [LibraryImport(Libraries.Libc, EntryPoint = "chmod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Chmod(string path, uint mode);

        [LibraryImport(Libraries.Libc, EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Unlink(string path);

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
