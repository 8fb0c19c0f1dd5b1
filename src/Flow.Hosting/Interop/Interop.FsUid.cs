using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static partial class Sys
    {
        /// <summary>
        /// setfsuid(2): the uid this thread's file-system checks and new files use, for this
        /// thread only (Linux credentials are per thread; glibc passes this call straight
        /// through). Returns the previous value whether or not it changed anything.
        /// </summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "setfsuid")]
        public static partial int SetFsUid(uint uid);

        /// <summary>setfsgid(2): as <see cref="SetFsUid"/> for the group.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "setfsgid")]
        public static partial int SetFsGid(uint gid);
    }
}
