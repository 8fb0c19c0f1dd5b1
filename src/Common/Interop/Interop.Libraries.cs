namespace Flow;

/// <summary>
/// P/Invoke declarations shared by Core, Hosting and the backends, one file per native function
/// family, each declared once here and linked into every project that calls it (dotnet/runtime
/// <c>src/libraries/Common/src/Interop</c>). A project adds its own families (libxdp, TUN ioctls,
/// sched_setaffinity) to the same partial classes in its <c>Interop/</c> folder; a declaration a
/// second project needs moves here.
/// </summary>
/// <remarks>
/// Namespace: <c>Flow</c>, in every file of this folder and of every project's <c>Interop/</c>
/// folder. A linked file has one namespace wherever it is compiled, and a partial class cannot span
/// two, so Core, Hosting and the backends must agree on one; <c>Flow</c> is the root every project's
/// namespace sits under, so <c>Interop.Sys</c> resolves unqualified everywhere (dotnet/runtime uses
/// the global namespace for the same reason). Each assembly compiles its own internal copy: a project
/// that sees the internals of several (Flow.Benchmarks) cannot name <c>Interop</c> unambiguously, so
/// it calls what it needs through the owning project's own types (Core's <c>OsThread</c>).
/// </remarks>
internal static partial class Interop
{
    internal static class Libraries
    {
        public const string Libc = "libc";

        /// <summary>libxdp (Debian libxdp1): XDP program load, attach and detach.</summary>
        public const string Xdp = "libxdp.so.1";

        /// <summary>libbpf (Debian libbpf1): map lookup and update on the loaded object.</summary>
        public const string Bpf = "libbpf.so.1";

        /// <summary>Flow's C shim over DPDK (native/flow_dpdk.c), copied next to Flow.Backends.Dpdk.dll.</summary>
        public const string FlowDpdk = "libflowdpdk.so";
    }
}
