using System.Runtime.InteropServices;

namespace Flow.Backends;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        /// <summary>read(2) of one frame from a non-blocking tap fd (returns -1/EAGAIN when none is queued).</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "read", SetLastError = true)]
        public static partial nint Read(int fd, void* buffer, nuint count);

        /// <summary>write(2) of one frame; the tap driver hands it to the stack (netif_rx) before returning.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "write", SetLastError = true)]
        public static partial nint Write(int fd, void* buffer, nuint count);
    }
}
