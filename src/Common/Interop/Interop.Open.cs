using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static partial class Sys
    {
        public const int O_WRONLY = 0x1;
        public const int O_RDWR = 0x2;
        public const int O_CREAT = 0x40;
        public const int O_EXCL = 0x80;
        public const int O_NONBLOCK = 0x800;
        public const int O_CLOEXEC = 0x80000;

        /// <summary>O_NOFOLLOW is one of the few open flags whose value differs between Linux ports.</summary>
        public static int O_NOFOLLOW => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

        /// <summary>open(2); <paramref name="mode"/> applies only with O_CREAT (before the umask).</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Open(string path, int flags, int mode);
    }
}
