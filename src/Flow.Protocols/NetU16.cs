using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Flow.Protocols;

/// <summary>
/// A 16-bit value stored in network byte order (big-endian), as it sits on the wire.
/// </summary>
/// <remarks>
/// Byte order is a type (STYLE D4, after BESS <c>BigEndian&lt;T&gt;</c>): there is no
/// implicit conversion either way, so a host-order number can never be stored into a
/// header field by accident. Construct from host order with <see cref="NetU16(ushort)"/>,
/// read back with <see cref="Host"/>; <see cref="Raw"/> is the in-memory bit pattern,
/// used by the checksum code which sums words in memory order.
/// </remarks>
[StructLayout(LayoutKind.Sequential, Size = 2)]
public readonly struct NetU16 : IEquatable<NetU16>
{
    private readonly ushort _raw;

    /// <summary>Stores <paramref name="host"/> (a host-order number) in network order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public NetU16(ushort host) => _raw = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(host) : host;

    private NetU16(ushort raw, bool _) => _raw = raw;

    /// <summary>The value as a host-order number.</summary>
    public ushort Host
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(_raw) : _raw;
    }

    /// <summary>The bit pattern as stored in memory (network order).</summary>
    public ushort Raw
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _raw;
    }

    /// <summary>Wraps a value that is already in network order (read straight from memory).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static NetU16 FromRaw(ushort raw) => new(raw, false);

    public bool Equals(NetU16 other) => _raw == other._raw;

    public override bool Equals(object? obj) => obj is NetU16 other && Equals(other);

    public override int GetHashCode() => _raw;

    public static bool operator ==(NetU16 left, NetU16 right) => left._raw == right._raw;

    public static bool operator !=(NetU16 left, NetU16 right) => left._raw != right._raw;

    public override string ToString() => "0x" + Host.ToString("x4");
}
