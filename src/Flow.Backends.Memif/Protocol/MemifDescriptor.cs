using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Flow.Backends.Memif.Protocol;

/// <summary>One ring slot: where a buffer lives in shared memory and how many bytes it holds.</summary>
/// <remarks>
/// <code>
///  0       2       4               8               12              16
///  +-------+-------+---------------+---------------+---------------+
///  | flags |region | length (u32)  | offset (u32)  | metadata (u32)|
///  +-------+-------+---------------+---------------+---------------+
/// </code>
/// <c>flags</c> bit 0 (<see cref="MemifConstants.DescriptorFlagNext"/>): the packet continues
/// in the next slot (chained buffers, jumbo frames). The buffer is at
/// <c>regions[region].base + offset</c>. Everything here is written by a peer Flow does not
/// trust: receivers copy the descriptor once into a local and validate region, offset + length
/// and chain length before touching the buffer.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal struct MemifDescriptor
{
    [FieldOffset(0)] public ushort Flags;
    [FieldOffset(2)] public ushort Region;
    [FieldOffset(4)] public uint Length;
    [FieldOffset(8)] public uint Offset;
    [FieldOffset(12)] public uint Metadata;

    /// <summary>
    /// Writes a whole descriptor (metadata 0) with one 16-byte store. The peer's core read this
    /// line last, so every store to it waits for ownership: one store per descriptor instead of
    /// four keeps a burst's worth of them from filling the store buffer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(ref MemifDescriptor descriptor, ushort flags, ushort region, uint length, uint offset)
    {
        ulong low = flags | ((ulong)region << 16) | ((ulong)length << 32);
        Unsafe.WriteUnaligned(ref Unsafe.As<MemifDescriptor, byte>(ref descriptor), Vector128.Create(low, offset));
    }
}
