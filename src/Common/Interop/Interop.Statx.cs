using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Flow;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        /// <summary>The directory fd that makes a relative path relative to the working directory.</summary>
        public const int AT_FDCWD = -100;
        public const int AT_SYMLINK_NOFOLLOW = 0x100;
        public const int AT_EMPTY_PATH = 0x1000;

        public const uint STATX_TYPE = 0x1;
        public const uint STATX_MODE = 0x2;
        public const uint STATX_NLINK = 0x4;
        public const uint STATX_UID = 0x8;
        public const uint STATX_SIZE = 0x200;

        public const ushort S_IFMT = 0xF000;
        public const ushort S_IFDIR = 0x4000;
        public const ushort S_IFREG = 0x8000;
        public const ushort S_IFLNK = 0xA000;
        public const ushort S_IFSOCK = 0xC000;

        /// <summary>
        /// The fields of struct statx (linux/stat.h) Flow reads. The struct has the same
        /// layout on every architecture, unlike struct stat, which is why statx is used.
        /// </summary>
        [StructLayout(LayoutKind.Explicit, Size = 256)]
        public struct Statx
        {
            [FieldOffset(0)]
            public uint Mask;

            [FieldOffset(16)]
            public uint LinkCount;

            [FieldOffset(20)]
            public uint Uid;

            [FieldOffset(28)]
            public ushort Mode;

            [FieldOffset(32)]
            public ulong Inode;

            [FieldOffset(40)]
            public ulong Size;
        }

        /// <summary>statx(2) of a path, relative to <paramref name="dirfd"/> (or AT_FDCWD); with AT_EMPTY_PATH and "" the fd itself.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int StatxPath(int dirfd, string path, int flags, uint mask, Statx* buffer);

        [LibraryImport(Libraries.Libc, EntryPoint = "statx", SetLastError = true)]
        private static partial int StatFd(SafeFileHandle fd, byte* path, int flags, uint mask, Statx* buffer);

        /// <summary>statx(2) of an open file (AT_EMPTY_PATH): the fields in <paramref name="mask"/>; false when the call fails (errno is kept).</summary>
        public static bool TryStat(SafeFileHandle fd, uint mask, out Statx status)
        {
            status = default; // zeroed: the kernel fills only the fields asked for
            fixed (byte* empty = "\0"u8) // AT_EMPTY_PATH: the fd itself; an empty span would pin as null
            fixed (Statx* buffer = &status)
            {
                return StatFd(fd, empty, AT_EMPTY_PATH, mask, buffer) == 0;
            }
        }
    }
}
