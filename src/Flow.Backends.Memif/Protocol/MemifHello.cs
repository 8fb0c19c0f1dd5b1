using System.Runtime.InteropServices;

namespace Flow.Backends.Memif.Protocol;

/// <summary>
/// HELLO (server → client, first message on a new connection): the server's limits.
/// </summary>
/// <remarks>
/// <code>
///  0                               32      34      36      38      40      42  43
///  +-------------------------------+-------+-------+-------+-------+-------+---+
///  | name[32] (server app name)    | min   | max   | max   | max   | max   |max|
///  |                               | ver   | ver   | region| m2s   | s2m   |log|
///  +-------------------------------+-------+-------+-------+-------+-------+---+
/// </code>
/// The <c>max_*</c> region and ring fields are highest allowed <em>indices</em> (count − 1):
/// DPDK's client takes <c>min(max_s2m_ring + 1, configured)</c> rings.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = 43)]
internal unsafe struct MemifHello
{
    [FieldOffset(0)] public fixed byte Name[MemifConstants.NameSize];
    [FieldOffset(32)] public ushort MinVersion;
    [FieldOffset(34)] public ushort MaxVersion;
    [FieldOffset(36)] public ushort MaxRegion;
    [FieldOffset(38)] public ushort MaxM2SRing;
    [FieldOffset(40)] public ushort MaxS2MRing;
    [FieldOffset(42)] public byte MaxLog2RingSize;
}
