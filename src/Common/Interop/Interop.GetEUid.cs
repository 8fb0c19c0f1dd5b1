using System.Runtime.InteropServices;

namespace Flow.Backends;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libraries.Libc, EntryPoint = "geteuid")]
        public static partial uint GetEUid();
    }
}
