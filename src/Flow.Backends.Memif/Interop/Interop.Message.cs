using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        public const int SCM_RIGHTS = 1;
        public const int MSG_NOSIGNAL = 0x4000;
        public const int MSG_CTRUNC = 0x8;
        public const int MSG_TRUNC = 0x20;
        public const int MSG_CMSG_CLOEXEC = 0x40000000;

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

        [LibraryImport(Libraries.Libc, EntryPoint = "sendmsg", SetLastError = true)]
        public static partial nint SendMsg(int fd, MsgHdr* message, int flags);

        [LibraryImport(Libraries.Libc, EntryPoint = "recvmsg", SetLastError = true)]
        public static partial nint RecvMsg(int fd, MsgHdr* message, int flags);
    }
}
