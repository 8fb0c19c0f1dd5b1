using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static partial class Sys
    {
        public const int SIGINT = 2;
        public const int SIGKILL = 9;
        public const int SIGTERM = 15;

        /// <summary>kill(2): a signal to one process by pid (never a process group: pid &gt; 0 only, the caller checks).</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "kill", SetLastError = true)]
        public static partial int Kill(int pid, int signal);
    }
}
