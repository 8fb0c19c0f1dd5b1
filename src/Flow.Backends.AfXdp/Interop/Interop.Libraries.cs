namespace Flow.Backends.AfXdp;

internal static partial class Interop
{
    internal static class Libraries
    {
        public const string Libc = "libc";

        /// <summary>libxdp (Debian libxdp1): XDP program load, attach and detach.</summary>
        public const string Xdp = "libxdp.so.1";

        /// <summary>libbpf (Debian libbpf1): map lookup and update on the loaded object.</summary>
        public const string Bpf = "libbpf.so.1";
    }
}
