using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        /// <summary>statfs f_type of tmpfs/shmem, where memfd_create puts its files (linux/magic.h).</summary>
        public const long TMPFS_MAGIC = 0x01021994;

        /// <summary>statfs f_type of hugetlbfs (MFD_HUGETLB memfds, DPDK hugepage files).</summary>
        public const long HUGETLBFS_MAGIC = 0x958458f6;

        /// <summary>fstatfs(2) into a buffer large enough for struct statfs; <c>f_type</c> is its first field (a long) on x86-64 and arm64.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "fstatfs", SetLastError = true)]
        public static partial int FstatfsCall(int fd, void* buffer);

        [LibraryImport(Libraries.Libc, EntryPoint = "readlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial nint ReadLink(string path, byte* buffer, nuint size);

        /// <summary>Type and size of an open fd (statx with AT_EMPTY_PATH); false when the call fails.</summary>
        public static bool TryStatFd(int fd, out int type, out ulong size)
        {
            Statx buffer = default;
            bool ok = StatxPath(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE, &buffer) == 0;
            type = buffer.Mode & S_IFMT;
            size = buffer.Size;
            return ok;
        }

        /// <summary>Type of the file at <paramref name="path"/> without following a final symlink; -1 when missing, -2 on another error.</summary>
        public static int PathType(string path)
        {
            Statx buffer = default;
            if (StatxPath(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE, &buffer) != 0)
            {
                return Marshal.GetLastPInvokeError() == Errno.ENOENT ? -1 : -2;
            }
            return buffer.Mode & S_IFMT;
        }

        /// <summary>The file-system magic of an open fd, or 0 when fstatfs fails.</summary>
        public static long FileSystemType(int fd)
        {
            // struct statfs is 120 bytes on x86-64 and arm64; zeroed because the kernel writes it.
            byte* buffer = stackalloc byte[256];
            new Span<byte>(buffer, 256).Clear();
            return FstatfsCall(fd, buffer) == 0 ? *(long*)buffer : 0;
        }

        /// <summary>
        /// True when <paramref name="fd"/> is an eventfd: its /proc/self/fd link reads
        /// <c>anon_inode:[eventfd]</c> (eventfd has no file type of its own to fstat).
        /// </summary>
        public static bool IsEventFd(int fd)
        {
            ReadOnlySpan<byte> expected = "anon_inode:[eventfd]"u8;
            byte* buffer = stackalloc byte[64];
            nint length = ReadLink($"/proc/self/fd/{fd}", buffer, 64);
            return length == expected.Length && new ReadOnlySpan<byte>(buffer, (int)length).SequenceEqual(expected);
        }
    }
}
