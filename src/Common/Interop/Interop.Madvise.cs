using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        /// <summary>madvise(2) advice: back the range with transparent huge pages where possible.</summary>
        public const int MADV_HUGEPAGE = 14;

        /// <summary>
        /// madvise(2). Used once per table at construction (control path), never by stage code:
        /// with THP in "madvise" mode (this VM's setting) a 64 MiB table left on 4 KiB pages
        /// thrashes the TLB on random destinations.
        /// </summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "madvise", SetLastError = true)]
        public static partial int Madvise(void* address, nuint length, int advice);
    }
}
