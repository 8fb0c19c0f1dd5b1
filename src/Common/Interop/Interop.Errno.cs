namespace Flow;

internal static partial class Interop
{
    /// <summary>
    /// errno values Flow tells apart (asm-generic/errno-base.h, errno.h; the same on
    /// x86-64 and arm64). What a value means to one project is a predicate in that project.
    /// </summary>
    internal static partial class Errno
    {
        public const int EPERM = 1;
        public const int ENOENT = 2;
        public const int EINTR = 4;
        public const int EIO = 5;
        public const int ENXIO = 6;
        public const int EAGAIN = 11;
        public const int ENOMEM = 12;
        public const int EACCES = 13;
        public const int EBUSY = 16;
        public const int EEXIST = 17;
        public const int ENODEV = 19;
        public const int EINVAL = 22;

        /// <summary>open(2) refuses a symbolic link in the last component with ELOOP under O_NOFOLLOW.</summary>
        public const int ELOOP = 40;

        public const int EOPNOTSUPP = 95;
        public const int EAFNOSUPPORT = 97;
        public const int ENETDOWN = 100;
        public const int ENOBUFS = 105;
    }
}
