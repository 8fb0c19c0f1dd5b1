using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static partial class Sys
    {
        /// <summary>gettid(2): the kernel's id of the calling thread (for /proc/self/task/&lt;tid&gt;).</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "gettid")]
        public static partial int GetTid();
    }
}
