namespace Flow;

internal static partial class Interop
{
    internal static partial class Errno
    {
        /// <summary>The kernel had no room right now (socket buffer, qdisc): frames stay queued in the ring and go with the next kick.</summary>
        public static bool IsTransient(int errno) => errno is EAGAIN or ENOBUFS or EINTR;
    }
}
