using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Flow.Backends;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libraries.Libc, EntryPoint = "ftruncate", SetLastError = true)]
        public static partial int Ftruncate(SafeFileHandle fd, long length);
    }
}
