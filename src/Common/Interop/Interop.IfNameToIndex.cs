using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static partial class Sys
    {
        /// <summary>if_nametoindex(3): 0 when there is no such interface (errno ENODEV).</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial uint IfNameToIndex(string name);
    }
}
