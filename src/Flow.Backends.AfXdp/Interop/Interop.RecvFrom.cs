using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        /// <summary>recvfrom(2) with no buffer: the AF_XDP rx wakeup when the fill ring asks for one.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "recvfrom", SetLastError = true)]
        public static partial nint RecvFrom(int fd, void* buffer, nuint length, int flags, void* address, uint* addressLength);
    }
}
