using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Flow;

/// <summary>
/// A handle to one packet: the address of its frame in native memory. Pointer-sized, copied
/// freely; it owns nothing. Ownership moves with the handle through stages, rings and pools
/// (a stage that passes a packet on must not touch it again).
/// </summary>
/// <remarks>
/// Frame layout: <c>[PacketMeta (64 B)][headroom][data (Length bytes)][tailroom]</c>.
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public readonly unsafe struct Packet : IEquatable<Packet>
{
    private readonly byte* _frame;

    /// <summary>Wraps the start of a frame. Backends use this on frames of a pool they made.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Packet(byte* frame) => _frame = frame;

    /// <summary>Start of the frame (where <see cref="PacketMeta"/> lives).</summary>
    public byte* Frame
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _frame;
    }

    public bool IsNull => _frame == null;

    /// <summary>The packet's metadata, read and written in place.</summary>
    public ref PacketMeta Meta
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref *(PacketMeta*)_frame;
    }

    /// <summary>Bytes of packet data.</summary>
    public int Length
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ((PacketMeta*)_frame)->Length;
    }

    /// <summary>Address of the first data byte.</summary>
    public byte* DataPointer
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _frame + ((PacketMeta*)_frame)->DataOffset;
    }

    /// <summary>The packet data.</summary>
    public Span<byte> Data
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            PacketMeta* meta = (PacketMeta*)_frame;
            return new Span<byte>(_frame + meta->DataOffset, meta->Length);
        }
    }

    /// <summary>Bytes in front of the data that a header can be prepended into.</summary>
    public int Headroom => ((PacketMeta*)_frame)->DataOffset - PacketMeta.Size;

    /// <summary>Bytes after the data that it can grow into.</summary>
    public int Tailroom
    {
        get
        {
            PacketMeta* meta = (PacketMeta*)_frame;
            return meta->FrameSize - meta->DataOffset - meta->Length;
        }
    }

    /// <summary>Largest data length this frame can hold at the current data offset.</summary>
    public int Capacity
    {
        get
        {
            PacketMeta* meta = (PacketMeta*)_frame;
            return meta->FrameSize - meta->DataOffset;
        }
    }

    /// <summary>Sets the data length; false (nothing changed) when it does not fit the frame.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TrySetLength(int length)
    {
        PacketMeta* meta = (PacketMeta*)_frame;
        if ((uint)length > (uint)(meta->FrameSize - meta->DataOffset))
        {
            return false;
        }
        meta->Length = (ushort)length;
        return true;
    }

    /// <summary>
    /// Grows the data at the front by <paramref name="count"/> bytes (to push a header) and
    /// returns the new front; false when the headroom is too small. L2/L3/L4 offsets are shifted.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryPrepend(int count)
    {
        PacketMeta* meta = (PacketMeta*)_frame;
        if ((uint)count > (uint)(meta->DataOffset - PacketMeta.Size))
        {
            return false;
        }
        meta->DataOffset -= (ushort)count;
        meta->Length += (ushort)count;
        meta->L2Offset += (ushort)count;
        meta->L3Offset += (ushort)count;
        meta->L4Offset += (ushort)count;
        return true;
    }

    /// <summary>
    /// Removes <paramref name="count"/> bytes from the front of the data (to pop a header);
    /// false when the packet is shorter. L2/L3/L4 offsets are shifted and clamp at zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryTrimFront(int count)
    {
        PacketMeta* meta = (PacketMeta*)_frame;
        if ((uint)count > meta->Length)
        {
            return false;
        }
        meta->DataOffset += (ushort)count;
        meta->Length -= (ushort)count;
        meta->L2Offset = (ushort)Math.Max(0, meta->L2Offset - count);
        meta->L3Offset = (ushort)Math.Max(0, meta->L3Offset - count);
        meta->L4Offset = (ushort)Math.Max(0, meta->L4Offset - count);
        return true;
    }

    public bool Equals(Packet other) => _frame == other._frame;

    public override bool Equals(object? obj) => obj is Packet other && Equals(other);

    public override int GetHashCode() => ((nint)_frame).GetHashCode();

    public static bool operator ==(Packet left, Packet right) => left._frame == right._frame;

    public static bool operator !=(Packet left, Packet right) => left._frame != right._frame;

    public override string ToString() =>
        _frame == null ? "Packet(null)" : $"Packet(pool {Meta.PoolId} frame {Meta.FrameIndex}, {Length} B)";
}
