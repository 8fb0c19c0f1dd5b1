using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        /// <summary>
        /// read(2). Flow calls it on descriptors it made non-blocking (an eventfd, a tap queue): it
        /// returns -1 with EAGAIN when nothing is queued instead of waiting.
        /// </summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "read", SetLastError = true)]
        public static partial nint Read(int fd, void* buffer, nuint count);

        /// <summary>write(2); on a non-blocking descriptor -1 with EAGAIN when there is no room.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "write", SetLastError = true)]
        public static partial nint Write(int fd, void* buffer, nuint count);
    }
}
