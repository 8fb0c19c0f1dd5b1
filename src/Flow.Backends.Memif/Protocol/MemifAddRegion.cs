using System.Runtime.InteropServices;

namespace Flow.Backends.Memif.Protocol;

/// <summary>ADD_REGION (client → server), with the region's memfd as SCM_RIGHTS.</summary>
/// <remarks>
/// <code>
///  0       2                               10
///  +-------+-------------------------------+
///  | index | size (u64, bytes)             |
///  +-------+-------------------------------+
/// </code>
/// Regions are added in index order starting at 0 (DPDK refuses any other order).
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = 10)]
internal struct MemifAddRegion
{
    [FieldOffset(0)] public ushort Index;
    [FieldOffset(2)] public ulong Size;
}
