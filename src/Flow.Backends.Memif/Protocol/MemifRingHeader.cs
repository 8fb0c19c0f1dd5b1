using System.Runtime.InteropServices;

namespace Flow.Backends.Memif.Protocol;

/// <summary>
/// Header of one ring in shared memory, followed by <c>1 &lt;&lt; log2_ring_size</c>
/// <see cref="MemifDescriptor"/>s.
/// </summary>
/// <remarks>
/// <code>
///  0               4       6       8                                      64
///  +---------------+-------+-------+--------------------------------------+
///  | cookie        | flags | head  |  (padding: head's cache line)        |
///  +---------------+-------+-------+--------------------------------------+ 64
///  | tail  |  (padding: tail's own cache line, no false sharing)          |
///  +-------+--------------------------------------------------------------+ 128
///  | desc[0] | desc[1] | ...                                              |
/// </code>
/// Who writes what (memif v2; the client, "slave", owns all buffers):
/// <list type="bullet">
/// <item>S2M ring (client → server): the client fills slots and publishes <c>head</c>; the
/// server consumes up to <c>head</c> and publishes <c>tail</c>, returning the slots.</item>
/// <item>M2S ring (server → client): the client posts empty buffers and publishes <c>head</c>;
/// the server fills them (setting <c>length</c>, and <c>NEXT</c> for chains) and publishes
/// <c>tail</c>; the client receives up to <c>tail</c>.</item>
/// </list>
/// So the client always writes <c>head</c> and the server always writes <c>tail</c>. The
/// receiver of a ring sets <see cref="MemifConstants.RingFlagMaskInterrupt"/> in <c>flags</c>
/// when it polls; the transmitter signals the ring's eventfd after a burst only when the flag
/// is clear. Indices are free-running 16-bit counters; slot = index &amp; (size − 1).
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = MemifConstants.RingHeaderSize)]
internal struct MemifRingHeader
{
    [FieldOffset(0)] public uint Cookie;
    [FieldOffset(4)] public ushort Flags;
    [FieldOffset(6)] public ushort Head;
    [FieldOffset(MemifConstants.CacheLineSize)] public ushort Tail;

    /// <summary>Bytes of a ring with <paramref name="log2Size"/>: header plus descriptors.</summary>
    public static int SizeOf(int log2Size) => MemifConstants.RingHeaderSize + (16 << log2Size);
}
