using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        /// <summary>sched_setaffinity(2); pid 0 is the calling thread.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "sched_setaffinity", SetLastError = true)]
        public static partial int SchedSetAffinity(int pid, nuint cpuSetSize, byte* mask);

        [LibraryImport(Libraries.Libc, EntryPoint = "sched_getaffinity", SetLastError = true)]
        public static partial int SchedGetAffinity(int pid, nuint cpuSetSize, byte* mask);
    }
}
