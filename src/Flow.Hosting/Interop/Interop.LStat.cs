namespace Flow;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        /// <summary>The file type bits (<c>S_IFMT</c>) of <paramref name="path"/> itself (symlinks not followed); -1 when it cannot be read.</summary>
        public static int FileType(string path) => LStat(path, out int mode, out _) ? mode & S_IFMT : -1;

        /// <summary><c>lstat</c>: mode (type and permission bits) and owner of <paramref name="path"/> itself, symlinks not followed; false when it cannot be read.</summary>
        public static bool LStat(string path, out int mode, out uint uid)
        {
            Statx status = default; // zeroed: the kernel fills only the fields asked for
            if (StatxPath(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MODE | STATX_UID, &status) != 0)
            {
                mode = 0;
                uid = 0;
                return false;
            }
            mode = status.Mode;
            uid = status.Uid;
            return true;
        }
    }
}
