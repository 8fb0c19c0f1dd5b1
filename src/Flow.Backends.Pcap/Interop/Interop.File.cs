using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Flow.Backends;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
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
    }
}
