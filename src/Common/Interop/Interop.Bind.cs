using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        [LibraryImport(Libraries.Libc, EntryPoint = "bind", SetLastError = true)]
        public static partial int Bind(int fd, void* address, uint addressLength);
    }
}
