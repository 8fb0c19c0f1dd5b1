namespace Flow.Backends.Tap;

internal static partial class Interop
{
    internal static class Errno
    {
        public const int EINTR = 4;
        public const int EAGAIN = 11;
        public const int EIO = 5;
        public const int EBUSY = 16;

        /// <summary>Nothing queued (read) or no room (write) right now.</summary>
        public static bool IsWouldBlock(int errno) => errno is EAGAIN or EINTR;
    }
}
