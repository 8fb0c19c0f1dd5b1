using System.Runtime.InteropServices;

namespace Flow.Backends.AfXdp;

internal static partial class Interop
{
    internal static partial class Sys
    {
        [LibraryImport(Libraries.Libc, EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial uint IfNameToIndex(string name);
    }
}
