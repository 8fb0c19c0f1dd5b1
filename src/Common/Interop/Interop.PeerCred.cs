using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static unsafe partial class Sys
    {
        public const int SO_PEERCRED = 17;

        /// <summary>struct ucred (socket(7)): the peer's pid, uid and gid, taken by the kernel at connect/listen.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct UCred
        {
            public int Pid;
            public uint Uid;
            public uint Gid;
        }

        /// <summary>SO_PEERCRED of a connected AF_UNIX socket; false (errno in the last P/Invoke error) when unavailable.</summary>
        public static bool TryGetPeerCred(int fd, out UCred credentials)
        {
            UCred value = default;
            uint length = (uint)sizeof(UCred);
            bool ok = GetSockOpt(fd, SOL_SOCKET, SO_PEERCRED, &value, &length) == 0 && length == (uint)sizeof(UCred);
            credentials = value;
            return ok;
        }
    }
}
