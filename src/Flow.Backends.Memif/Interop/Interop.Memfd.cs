using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        public const uint MFD_CLOEXEC = 1;
        public const uint MFD_ALLOW_SEALING = 2;
        public const int F_GETFL = 3;
        public const int F_SETFL = 4;
        public const int F_ADD_SEALS = 1033;
        public const int F_GET_SEALS = 1034;
        public const int F_SEAL_SEAL = 1;
        public const int F_SEAL_SHRINK = 2;
        public const int F_SEAL_GROW = 4;
        public const int SEEK_CUR = 1;

        [LibraryImport(Libraries.Libc, EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int MemfdCreate(string name, uint flags);

        /// <summary>fcntl(2) with an int argument (or none). Variadic in C; an int in a register is what it reads.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "fcntl", SetLastError = true)]
        public static partial int Fcntl(int fd, int command, int argument);

        /// <summary>lseek(2); a peer holding the same open file description sees the offset another process moved.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "lseek", SetLastError = true)]
        public static partial long Lseek(int fd, long offset, int whence);
    }
}
