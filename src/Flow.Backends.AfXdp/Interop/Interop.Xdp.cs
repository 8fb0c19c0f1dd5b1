using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    /// <summary>libxdp (xdp/libxdp.h): program objects, attach/detach, multiprog inspection.</summary>
    internal static unsafe partial class Xdp
    {
        // enum xdp_attach_mode
        public const int XDP_MODE_UNSPEC = 0;
        public const int XDP_MODE_NATIVE = 1;
        public const int XDP_MODE_SKB = 2;

        /// <summary>Opens an object from LIBXDP_OBJECT_PATH (default /usr/lib/&lt;triplet&gt;/bpf); error pointers need <see cref="GetError"/>.</summary>
        [LibraryImport(Libraries.Xdp, EntryPoint = "xdp_program__find_file", StringMarshalling = StringMarshalling.Utf8)]
        public static partial nint ProgramFindFile(string filename, string? sectionName, void* openOptions);

        [LibraryImport(Libraries.Xdp, EntryPoint = "xdp_program__bpf_obj")]
        public static partial nint ProgramBpfObject(nint program);

        [LibraryImport(Libraries.Xdp, EntryPoint = "xdp_program__attach")]
        public static partial int ProgramAttach(nint program, int ifindex, int mode, uint flags);

        [LibraryImport(Libraries.Xdp, EntryPoint = "xdp_program__detach")]
        public static partial int ProgramDetach(nint program, int ifindex, int mode, uint flags);

        [LibraryImport(Libraries.Xdp, EntryPoint = "xdp_program__close")]
        public static partial void ProgramClose(nint program);

        [LibraryImport(Libraries.Xdp, EntryPoint = "xdp_program__name")]
        public static partial byte* ProgramName(nint program);

        [LibraryImport(Libraries.Xdp, EntryPoint = "xdp_program__id")]
        public static partial uint ProgramId(nint program);

        [LibraryImport(Libraries.Xdp, EntryPoint = "xdp_multiprog__get_from_ifindex")]
        public static partial nint MultiprogGetFromIfindex(int ifindex);

        [LibraryImport(Libraries.Xdp, EntryPoint = "xdp_multiprog__next_prog")]
        public static partial nint MultiprogNextProgram(nint program, nint multiprog);

        [LibraryImport(Libraries.Xdp, EntryPoint = "xdp_multiprog__main_prog")]
        public static partial nint MultiprogMainProgram(nint multiprog);

        [LibraryImport(Libraries.Xdp, EntryPoint = "xdp_multiprog__is_legacy")]
        [return: MarshalAs(UnmanagedType.U1)]
        public static partial bool MultiprogIsLegacy(nint multiprog);

        [LibraryImport(Libraries.Xdp, EntryPoint = "xdp_multiprog__detach")]
        public static partial int MultiprogDetach(nint multiprog);

        [LibraryImport(Libraries.Xdp, EntryPoint = "xdp_multiprog__close")]
        public static partial void MultiprogClose(nint multiprog);

        /// <summary>Decodes libxdp's error pointers (a negative errno in the pointer value) to a negative errno, or 0.</summary>
        [LibraryImport(Libraries.Xdp, EntryPoint = "libxdp_get_error")]
        public static partial nint GetError(nint pointer);

        [LibraryImport(Libraries.Xdp, EntryPoint = "libxdp_strerror")]
        public static partial int StrError(int error, byte* buffer, nuint size);
    }
}
