namespace Flow.Backends;

/// <summary>
/// P/Invoke declarations shared by the backends, one file per native function family, linked
/// into each backend that calls them (dotnet/runtime <c>src/libraries/Common/src/Interop</c>).
/// A backend adds its own families (libxdp, TUN ioctls) to the same partial classes.
/// </summary>
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
