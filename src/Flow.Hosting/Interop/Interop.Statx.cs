using System.Runtime.InteropServices;

namespace Flow.Hosting;

internal static partial class Interop
{
    internal static partial class Sys
    {
        public const int AtFdCwd = -100;
        public const int AtSymlinkNoFollow = 0x100;
        public const uint StatxType = 0x1;
        public const uint StatxMode = 0x2;
        public const uint StatxUid = 0x8;
        public const int FileTypeMask = 0xF000;
        public const int FileTypeSocket = 0xC000;
        public const int FileTypeDirectory = 0x4000;
        public const int FileTypeSymlink = 0xA000;

        /// <summary>
        /// struct statx is the same on every architecture (unlike struct stat): stx_uid is a __u32
        /// at offset 20 and stx_mode a __u16 at offset 28 (linux/stat.h). 256 bytes covers the struct.
        /// </summary>
        public const int StatxSize = 256;
        public const int StatxUidOffset = 20;
        public const int StatxModeOffset = 28;

        [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static unsafe partial int Statx(int dirFd, string path, int flags, uint mask, byte* buffer);

        /// <summary>The file type bits (<c>S_IFMT</c>) of <paramref name="path"/> itself (symlinks not followed); -1 when it cannot be read.</summary>
        public static int FileType(string path) => LStat(path, out int mode, out _) ? mode & FileTypeMask : -1;

        /// <summary><c>lstat</c>: mode (type and permission bits) and owner of <paramref name="path"/> itself, symlinks not followed; false when it cannot be read.</summary>
        public static unsafe bool LStat(string path, out int mode, out uint uid)
        {
            byte* buffer = stackalloc byte[StatxSize];
            // Zeroed: the kernel fills only what the mask asks for.
            new Span<byte>(buffer, StatxSize).Clear();
            if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType | StatxMode | StatxUid, buffer) != 0)
            {
                mode = 0;
                uid = 0;
                return false;
            }
            mode = *(ushort*)(buffer + StatxModeOffset);
            uid = *(uint*)(buffer + StatxUidOffset);
            return true;
        }
    }
}
