using System.Runtime.InteropServices;

namespace Flow.Backends.Tap;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        public const int O_RDWR = 2;
        public const int O_NONBLOCK = 0x800;
        public const int O_CLOEXEC = 0x80000;

        [LibraryImport(Libraries.Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Open(string path, int flags);

        /// <summary>read(2) of one frame from a non-blocking tap fd (returns -1/EAGAIN when none is queued).</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "read", SetLastError = true)]
        public static partial nint Read(int fd, void* buffer, nuint count);

        /// <summary>write(2) of one frame; the tap driver hands it to the stack (netif_rx) before returning.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "write", SetLastError = true)]
        public static partial nint Write(int fd, void* buffer, nuint count);

        [LibraryImport(Libraries.Libc, EntryPoint = "close", SetLastError = true)]
        public static partial int Close(int fd);
    }
}
