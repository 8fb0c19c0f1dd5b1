namespace Flow.Backends.Pcap;

internal static partial class Interop
{
    internal static class Libraries
    {
        public const string Libc = "libc";
    }
}
