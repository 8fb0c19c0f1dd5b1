using System.Runtime.InteropServices;

namespace Flow.Protocols.Tests.Infrastructure;

internal static partial class Interop
{
    internal static partial class Sys
    {
        public const int ProtNone = 0;
        public const int ProtRead = 1;
        public const int ProtWrite = 2;
        public const int MapPrivate = 0x02;
        public const int MapAnonymous = 0x20;

        [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
        public static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

        [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
        public static partial int Mprotect(nint address, nuint length, int protection);

        [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
        public static partial int Munmap(nint address, nuint length);
    }
}
