namespace Flow;

internal static partial class Interop
{
    internal static partial class Sys
    {
        // SOL_SOCKET option names from asm-generic/socket.h (x86-64 and arm64 share them).
        public const int SO_BUSY_POLL = 46;
        public const int SO_PREFER_BUSY_POLL = 69;
        public const int SO_BUSY_POLL_BUDGET = 70;
    }
}
