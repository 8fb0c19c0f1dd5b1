using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    internal static unsafe partial class Xdp
    {
        /// <summary>libxdp_set_print: fn(level, format, va_list); returns the previous function.</summary>
        [LibraryImport(Libraries.Xdp, EntryPoint = "libxdp_set_print")]
        public static partial nint SetPrint(delegate* unmanaged<int, byte*, nint, int> print);
    }

    internal static unsafe partial class Bpf
    {
        /// <summary>libbpf_set_print: fn(level, format, va_list); returns the previous function.</summary>
        [LibraryImport(Libraries.Bpf, EntryPoint = "libbpf_set_print")]
        public static partial nint SetPrint(delegate* unmanaged<int, byte*, nint, int> print);
    }

    internal static unsafe partial class Sys
    {
        /// <summary>
        /// vsnprintf(3). The va_list arrives from libxdp/libbpf as one pointer-sized argument: an
        /// array (decays to a pointer) on x86-64, a large struct passed by reference on arm64.
        /// </summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "vsnprintf")]
        public static partial int VsnPrintf(byte* buffer, nuint size, byte* format, nint arguments);
    }
}
