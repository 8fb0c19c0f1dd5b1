using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Flow.Backends.Pcap;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        public const int O_WRONLY = 0x1;
        public const int O_CREAT = 0x40;
        public const int O_EXCL = 0x80;
        public const int O_CLOEXEC = 0x80000;

        public const int ENOENT = 2;

        /// <summary>open(2) refuses a symbolic link in the last component with ELOOP under O_NOFOLLOW.</summary>
        public const int ELOOP = 40;

        /// <summary>O_NOFOLLOW is one of the few open flags whose value differs between Linux ports.</summary>
        public static int O_NOFOLLOW => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

        public const int AT_EMPTY_PATH = 0x1000;
        public const uint STATX_TYPE = 0x1;
        public const uint STATX_NLINK = 0x4;
        public const uint STATX_SIZE = 0x200;
        public const ushort S_IFMT = 0xF000;
        public const ushort S_IFREG = 0x8000;

        /// <summary>
        /// The fields of struct statx (linux/stat.h) Flow reads. The struct has the same layout
        /// on every architecture, unlike struct stat, which is why statx is used.
        /// </summary>
        [StructLayout(LayoutKind.Explicit, Size = 256)]
        public struct Statx
        {
            [FieldOffset(0)]
            public uint Mask;

            [FieldOffset(16)]
            public uint LinkCount;

            [FieldOffset(28)]
            public ushort Mode;

            [FieldOffset(40)]
            public ulong Size;
        }

        [LibraryImport(Libraries.Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Open(string path, int flags, int mode);

        [LibraryImport(Libraries.Libc, EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Unlink(string path);

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

        [LibraryImport(Libraries.Libc, EntryPoint = "ftruncate", SetLastError = true)]
        public static partial int Ftruncate(int fd, long length);
    }
}
