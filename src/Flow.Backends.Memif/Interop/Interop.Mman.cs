using System.Runtime.InteropServices;

namespace Flow.Backends.Memif;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        public const int PROT_READ = 1;
        public const int PROT_WRITE = 2;
        public const int MAP_SHARED = 1;
        public const int MAP_FIXED = 0x10;
        public static readonly void* MapFailed = (void*)-1;

        [LibraryImport(Libraries.Libc, EntryPoint = "mmap", SetLastError = true)]
        public static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

        [LibraryImport(Libraries.Libc, EntryPoint = "munmap", SetLastError = true)]
        public static partial int Munmap(void* address, nuint length);
    }
}
