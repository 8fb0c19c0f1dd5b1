using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static partial class Sys
    {
        /// <summary><c>mkdir(2)</c>: creates the directory with <paramref name="mode"/> (less the umask) in one step, or fails with EEXIST.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Mkdir(string path, uint mode);
    }
}
