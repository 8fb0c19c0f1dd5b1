using System.Runtime.InteropServices;

namespace Flow.Hosting;

internal static partial class Interop
{
    internal static partial class Sys
    {
        public const int EExist = 17;

        /// <summary><c>mkdir(2)</c>: creates the directory with <paramref name="mode"/> (less the umask) in one step, or fails with EEXIST.</summary>
        [LibraryImport("libc", EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Mkdir(string path, uint mode);
    }
}
