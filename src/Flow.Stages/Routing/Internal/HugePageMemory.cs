using System.Runtime.InteropServices;

namespace Flow.Stages.Routing.Internal;

/// <summary>Zeroed native memory on 2 MiB boundaries, with transparent huge pages asked for.</summary>
internal static unsafe class HugePageMemory
{
    /// <summary>x86-64 and ARM64 (4 KiB granule) huge page size.</summary>
    public const nuint HugePageSize = 2 * 1024 * 1024;

    /// <summary>
    /// Allocates <paramref name="bytes"/>, rounded up to whole huge pages, and clears it. Huge pages
    /// are advice: without THP (or off Linux) the table works on small pages, slower on random
    /// lookups, so a failed madvise is not an error.
    /// </summary>
    public static void* Allocate(nuint bytes, out bool hugePages)
    {
        nuint size = (bytes + HugePageSize - 1) & ~(HugePageSize - 1);
        void* memory = NativeMemory.AlignedAlloc(size, HugePageSize);
        hugePages = OperatingSystem.IsLinux() && Interop.Sys.Madvise(memory, size, Interop.Sys.MADV_HUGEPAGE) == 0;
        // Cleared after the advice, so the first touch of each 2 MiB range faults in a huge page.
        NativeMemory.Clear(memory, size);
        return memory;
    }

    public static void Free(void* memory) => NativeMemory.AlignedFree(memory);
}
