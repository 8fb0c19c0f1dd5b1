using System.Runtime.InteropServices;

namespace Flow.Hosting;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport("libc", EntryPoint = "geteuid")]
        public static partial uint GetEUid();
    }
}
