using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        public const int EFD_NONBLOCK = 0x800;
        public const int EFD_CLOEXEC = 0x80000;

        [LibraryImport(Libraries.Libc, EntryPoint = "eventfd", SetLastError = true)]
        public static partial int EventFd(uint initialValue, int flags);

        /// <summary>Adds one to an eventfd (a worker's wakeup, the memif interrupt: "ring has new work").</summary>
        public static void SignalEventFd(int fd)
        {
            ulong one = 1;
            Write(fd, &one, sizeof(ulong));
        }

        /// <summary>Clears a non-blocking eventfd; returns the count it held (0 when none).</summary>
        public static ulong ConsumeEventFd(int fd)
        {
            ulong value = 0;
            return Read(fd, &value, sizeof(ulong)) == sizeof(ulong) ? value : 0;
        }
    }
}
