using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        public const short POLLIN = 0x001;
        public const short POLLOUT = 0x004;
        public const short POLLERR = 0x008;
        public const short POLLHUP = 0x010;

        [StructLayout(LayoutKind.Sequential)]
        public struct PollFd
        {
            public int Fd;
            public short Events;
            public short Revents;
        }

        /// <summary>poll(2). Blocking: never marked SuppressGCTransition.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "poll", SetLastError = true)]
        public static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);
    }
}
