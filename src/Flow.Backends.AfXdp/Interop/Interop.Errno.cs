namespace Flow.Backends.AfXdp;

internal static partial class Interop
{
    /// <summary>errno values Flow's AF_XDP code tells apart (asm-generic/errno*.h).</summary>
    internal static class Errno
    {
        public const int EPERM = 1;
        public const int ENOENT = 2;
        public const int EINTR = 4;
        public const int ENXIO = 6;
        public const int EAGAIN = 11;
        public const int ENOMEM = 12;
        public const int EBUSY = 16;
        public const int EEXIST = 17;
        public const int ENODEV = 19;
        public const int EINVAL = 22;
        public const int EOPNOTSUPP = 95;
        public const int EAFNOSUPPORT = 97;
        public const int ENETDOWN = 100;
        public const int ENOBUFS = 105;
    }
}
