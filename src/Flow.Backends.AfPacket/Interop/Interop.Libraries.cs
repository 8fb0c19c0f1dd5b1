namespace Flow.Backends.AfPacket;

internal static partial class Interop
{
    internal static class Libraries
    {
        public const string Libc = "libc";
    }
}
