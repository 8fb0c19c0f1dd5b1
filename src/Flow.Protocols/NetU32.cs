using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Flow.Protocols;

/// <summary>
/// A 32-bit value stored in network byte order (big-endian), as it sits on the wire.
/// </summary>
/// <remarks>
/// Byte order is a type (STYLE D4, after BESS <c>BigEndian&lt;T&gt;</c>): there is no
/// implicit conversion either way, so a host-order number can never be stored into a
/// header field by accident. Construct from host order with <see cref="NetU32(uint)"/>,
/// read back with <see cref="Host"/>; <see cref="Raw"/> is the in-memory bit pattern,
/// used by the checksum code which sums words in memory order.
/// </remarks>
[StructLayout(LayoutKind.Sequential, Size = 4)]
public readonly struct NetU32 : IEquatable<NetU32>
{
    private readonly uint _raw;

    /// <summary>Stores <paramref name="host"/> (a host-order number) in network order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public NetU32(uint host) => _raw = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(host) : host;

    private NetU32(uint raw, bool _) => _raw = raw;

    /// <summary>The value as a host-order number.</summary>
    public uint Host
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(_raw) : _raw;
    }

    /// <summary>The bit pattern as stored in memory (network order).</summary>
    public uint Raw
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _raw;
    }

    /// <summary>Wraps a value that is already in network order (read straight from memory).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static NetU32 FromRaw(uint raw) => new(raw, false);

    public bool Equals(NetU32 other) => _raw == other._raw;

    public override bool Equals(object? obj) => obj is NetU32 other && Equals(other);

    public override int GetHashCode() => (int)_raw;

    public static bool operator ==(NetU32 left, NetU32 right) => left._raw == right._raw;

    public static bool operator !=(NetU32 left, NetU32 right) => left._raw != right._raw;

    public override string ToString() => "0x" + Host.ToString("x8");
}
