using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        public const int PROT_NONE = 0x0;
        public const int PROT_READ = 0x1;
        public const int PROT_WRITE = 0x2;
        public const int MAP_SHARED = 0x01;
        public const int MAP_PRIVATE = 0x02;
        public const int MAP_FIXED = 0x10;
        public const int MAP_ANONYMOUS = 0x20;
        public const int MAP_POPULATE = 0x08000;

        public static readonly void* MAP_FAILED = (void*)-1;

        [LibraryImport(Libraries.Libc, EntryPoint = "mmap", SetLastError = true)]
        public static partial void* MMap(void* address, nuint length, int protection, int flags, int fd, long offset);

        [LibraryImport(Libraries.Libc, EntryPoint = "munmap", SetLastError = true)]
        public static partial int MUnmap(void* address, nuint length);

        [LibraryImport(Libraries.Libc, EntryPoint = "mprotect", SetLastError = true)]
        public static partial int MProtect(void* address, nuint length, int protection);
    }
}
