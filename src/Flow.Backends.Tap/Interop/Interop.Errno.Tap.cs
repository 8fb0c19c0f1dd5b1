namespace Flow;

internal static partial class Interop
{
    internal static partial class Errno
    {
        /// <summary>Nothing queued (read) or no room (write) right now.</summary>
        public static bool IsWouldBlock(int errno) => errno is EAGAIN or EINTR;
    }
}
