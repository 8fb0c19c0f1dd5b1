using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    /// <summary>libbpf (bpf/libbpf.h, bpf/bpf.h): the XSKMAP of the loaded redirect program.</summary>
    internal static unsafe partial class Bpf
    {
        public const ulong BPF_ANY = 0;

        [LibraryImport(Libraries.Bpf, EntryPoint = "bpf_object__find_map_by_name", StringMarshalling = StringMarshalling.Utf8)]
        public static partial nint ObjectFindMapByName(nint bpfObject, string name);

        [LibraryImport(Libraries.Bpf, EntryPoint = "bpf_map__set_max_entries")]
        public static partial int MapSetMaxEntries(nint map, uint maxEntries);

        [LibraryImport(Libraries.Bpf, EntryPoint = "bpf_map__fd")]
        public static partial int MapFd(nint map);

        /// <summary>bpf(BPF_MAP_UPDATE_ELEM); returns a negative errno (libbpf 1.x) and sets errno.</summary>
        [LibraryImport(Libraries.Bpf, EntryPoint = "bpf_map_update_elem", SetLastError = true)]
        public static partial int MapUpdateElement(int mapFd, void* key, void* value, ulong flags);
    }
}
