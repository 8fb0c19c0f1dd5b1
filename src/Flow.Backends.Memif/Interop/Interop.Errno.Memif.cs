namespace Flow;

internal static partial class Interop
{
    internal static partial class Errno
    {
        /// <summary>A socket name longer than sun_path holds.</summary>
        public const int ENAMETOOLONG = 36;

        /// <summary>connect(2) to a socket file nobody listens on any more (a stale file).</summary>
        public const int ECONNREFUSED = 111;

        /// <summary>Nothing to read yet: EAGAIN (EWOULDBLOCK) or a signal.</summary>
        public static bool IsWouldBlock(int errno) => errno is EAGAIN or EINTR;
    }
}
