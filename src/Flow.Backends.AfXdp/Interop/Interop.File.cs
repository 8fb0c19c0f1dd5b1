using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Flow.Backends.AfXdp;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        public const int O_RDWR = 0x2;
        public const int O_CREAT = 0x40;
        public const int O_CLOEXEC = 0x80000;

        /// <summary>O_NOFOLLOW is one of the few open flags whose value differs between Linux ports.</summary>
        public static int O_NOFOLLOW => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

        public const int LOCK_EX = 2;
        public const int LOCK_NB = 4;

        public const int AT_SYMLINK_NOFOLLOW = 0x100;
        public const uint STATX_TYPE = 0x1;
        public const uint STATX_MODE = 0x2;
        public const uint STATX_UID = 0x8;
        public const ushort S_IFMT = 0xF000;
        public const ushort S_IFDIR = 0x4000;

        /// <summary>
        /// The fields of struct statx (linux/stat.h) Flow reads; the struct has one layout on
        /// every architecture, unlike struct stat.
        /// </summary>
        [StructLayout(LayoutKind.Explicit, Size = 256)]
        public struct Statx
        {
            [FieldOffset(20)]
            public uint Uid;

            [FieldOffset(28)]
            public ushort Mode;
        }

        [LibraryImport(Libraries.Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Open(string path, int flags, int mode);

        /// <summary>flock(2); with LOCK_NB it never blocks (EWOULDBLOCK, which is EAGAIN on Linux, when held).</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "flock", SetLastError = true)]
        public static partial int Flock(SafeFileHandle fd, int operation);

        [LibraryImport(Libraries.Libc, EntryPoint = "ftruncate", SetLastError = true)]
        public static partial int Ftruncate(SafeFileHandle fd, long length);

        [LibraryImport(Libraries.Libc, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int StatxPath(int dirfd, string path, int flags, uint mask, Statx* buffer);

        [LibraryImport(Libraries.Libc, EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Mkdir(string path, int mode);

        [LibraryImport(Libraries.Libc, EntryPoint = "geteuid")]
        public static partial uint GetEUid();
    }
}
