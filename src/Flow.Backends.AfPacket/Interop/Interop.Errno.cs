namespace Flow.Backends.AfPacket;

internal static partial class Interop
{
    internal static class Errno
    {
        public const int EINTR = 4;
        public const int EAGAIN = 11;
        public const int ENOBUFS = 105;
        public const int ENETDOWN = 100;
        public const int ENXIO = 6;
        public const int ENODEV = 19;

        /// <summary>The kernel had no room right now (socket buffer, qdisc): frames stay queued in the ring and go with the next kick.</summary>
        public static bool IsTransient(int errno) => errno is EAGAIN or ENOBUFS or EINTR;

        /// <summary>The interface went down or away; the frames in the ring cannot leave.</summary>
        public static bool IsInterfaceGone(int errno) => errno is ENETDOWN or ENXIO or ENODEV;
    }
}
