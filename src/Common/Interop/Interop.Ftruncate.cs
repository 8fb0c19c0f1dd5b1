using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Flow;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libraries.Libc, EntryPoint = "ftruncate", SetLastError = true)]
        public static partial int Ftruncate(SafeFileHandle fd, long length);

        /// <summary>ftruncate(2) of a descriptor held as an int (a memfd in a SafeFileDescriptor, or one a peer sent).</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "ftruncate", SetLastError = true)]
        public static partial int Ftruncate(int fd, long length);
    }
}
