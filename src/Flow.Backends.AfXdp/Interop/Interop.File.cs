using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Flow;

internal static partial class Interop
{
    internal static partial class Sys
    {
        public const int LOCK_EX = 2;
        public const int LOCK_NB = 4;

        /// <summary>flock(2); with LOCK_NB it never blocks (EWOULDBLOCK, which is EAGAIN on Linux, when held).</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "flock", SetLastError = true)]
        public static partial int Flock(SafeFileHandle fd, int operation);
    }
}
