using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Flow;

/// <summary>
/// A handle to one packet: the address of its metadata (<see cref="PacketMeta"/>, in its pool's
/// private metadata array). Pointer-sized, copied freely; it owns nothing. Ownership moves with
/// the handle through stages, rings and pools (a stage that passes a packet on must not touch it
/// again).
/// </summary>
/// <remarks>
/// Frame layout: <c>[headroom (DataOffset bytes)][data (Length bytes)][tailroom]</c>, at
/// <see cref="Frame"/>; the metadata is never in the frame (ADR 007).
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public readonly unsafe struct Packet : IEquatable<Packet>
{
    private readonly PacketMeta* _meta;

    /// <summary>Wraps a pool's metadata entry; pools make packets (<see cref="PacketPool.PacketAt"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Packet(PacketMeta* meta) => _meta = meta;

    /// <summary>Start of the frame that holds the packet bytes.</summary>
    public byte* Frame
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _meta->FrameField;
    }

    /// <summary>Address of the metadata: the handle's identity, and its order within a pool (frame order).</summary>
    public PacketMeta* MetaAddress
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _meta;
    }

    public bool IsNull => _meta == null;

    /// <summary>The packet's metadata, read and written in place.</summary>
    public ref PacketMeta Meta
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref *_meta;
    }

    /// <summary>Bytes of packet data.</summary>
    public int Length
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _meta->Length;
    }

    /// <summary>Address of the first data byte.</summary>
    public byte* DataPointer
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _meta->FrameField + _meta->DataOffset;
    }

    /// <summary>
    /// The packet data. Offset and length are clamped to the frame, so even metadata a buggy stage
    /// wrote past the frame (the public fields allow it) yields a span inside the frame.
    /// </summary>
    public Span<byte> Data
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            PacketMeta* meta = _meta;
            uint frameSize = meta->FrameSizeField;
            uint offset = Math.Min(meta->DataOffset, frameSize);
            uint length = Math.Min(meta->Length, frameSize - offset);
            return new Span<byte>(meta->FrameField + offset, (int)length);
        }
    }

    /// <summary>Bytes in front of the data that a header can be prepended into.</summary>
    public int Headroom => _meta->DataOffset;

    /// <summary>Bytes after the data that it can grow into.</summary>
    public int Tailroom
    {
        get
        {
            PacketMeta* meta = _meta;
            return meta->FrameSizeField - meta->DataOffset - meta->Length;
        }
    }

    /// <summary>Largest data length this frame can hold at the current data offset.</summary>
    public int Capacity
    {
        get
        {
            PacketMeta* meta = _meta;
            return meta->FrameSizeField - meta->DataOffset;
        }
    }

    /// <summary>Sets the data length; false (nothing changed) when it does not fit the frame.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TrySetLength(int length)
    {
        PacketMeta* meta = _meta;
        if ((uint)length > (uint)(meta->FrameSizeField - meta->DataOffset))
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
        PacketMeta* meta = _meta;
        if ((uint)count > meta->DataOffset)
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
        PacketMeta* meta = _meta;
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

    public bool Equals(Packet other) => _meta == other._meta;

    public override bool Equals(object? obj) => obj is Packet other && Equals(other);

    public override int GetHashCode() => ((nint)_meta).GetHashCode();

    public static bool operator ==(Packet left, Packet right) => left._meta == right._meta;

    public static bool operator !=(Packet left, Packet right) => left._meta != right._meta;

    public override string ToString() =>
        _meta == null ? "Packet(null)" : $"Packet(pool {Meta.PoolId} frame 0x{(nint)Frame:x}, {Length} B)";
}
