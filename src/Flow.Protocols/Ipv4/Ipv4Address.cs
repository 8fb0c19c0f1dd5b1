using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Flow.Protocols.Ipv4;

/// <summary>An IPv4 address in wire order; 4 bytes, no padding.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public readonly struct Ipv4Address : IEquatable<Ipv4Address>
{
    private readonly NetU32 _value;

    public Ipv4Address(NetU32 value) => _value = value;

    public Ipv4Address(byte a, byte b, byte c, byte d) => _value = new NetU32((uint)(a << 24 | b << 16 | c << 8 | d));

    /// <summary>Reads the first 4 bytes of <paramref name="bytes"/>.</summary>
    public Ipv4Address(ReadOnlySpan<byte> bytes) => _value = new NetU32(BinaryPrimitives.ReadUInt32BigEndian(bytes));

    public static Ipv4Address Any => default;

    public static Ipv4Address Broadcast => new(new NetU32(0xffffffff));

    public NetU32 Value
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _value;
    }

    /// <summary>224.0.0.0/4 (RFC 5771).</summary>
    public bool IsMulticast => (_value.Host >> 28) == 0xe;

    /// <summary>127.0.0.0/8 (RFC 1122 3.2.1.3 (g)).</summary>
    public bool IsLoopback => (_value.Host >> 24) == 127;

    public bool IsBroadcast => _value.Host == 0xffffffff;

    public bool IsUnspecified => _value.Host == 0;

    public void CopyTo(Span<byte> destination) => BinaryPrimitives.WriteUInt32BigEndian(destination, _value.Host);

    public bool Equals(Ipv4Address other) => _value == other._value;

    public override bool Equals(object? obj) => obj is Ipv4Address other && Equals(other);

    public override int GetHashCode() => _value.GetHashCode();

    public static bool operator ==(Ipv4Address left, Ipv4Address right) => left._value == right._value;

    public static bool operator !=(Ipv4Address left, Ipv4Address right) => left._value != right._value;

    public override string ToString()
    {
        uint v = _value.Host;
        return $"{v >> 24}.{(v >> 16) & 0xff}.{(v >> 8) & 0xff}.{v & 0xff}";
    }
}
