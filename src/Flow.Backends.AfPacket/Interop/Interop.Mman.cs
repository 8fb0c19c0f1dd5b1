using System.Runtime.InteropServices;

namespace Flow.Backends.AfPacket;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        public const int PROT_READ = 1;
        public const int PROT_WRITE = 2;
        public const int MAP_SHARED = 1;
        public const int MAP_POPULATE = 0x8000;

        [LibraryImport(Libraries.Libc, EntryPoint = "mmap", SetLastError = true)]
        public static partial void* MMap(void* address, nuint length, int protection, int flags, int fd, nint offset);

        [LibraryImport(Libraries.Libc, EntryPoint = "munmap", SetLastError = true)]
        public static partial int MUnmap(void* address, nuint length);

        /// <summary>MAP_FAILED.</summary>
        public static readonly void* MapFailed = (void*)-1;
    }
}
