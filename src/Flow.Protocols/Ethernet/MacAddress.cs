using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Flow.Protocols.Ethernet;

/// <summary>A 48-bit IEEE 802 MAC address in wire order; 6 bytes, no padding.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public readonly struct MacAddress : IEquatable<MacAddress>
{
    private readonly uint _head;
    private readonly ushort _tail;

    /// <summary>ff:ff:ff:ff:ff:ff.</summary>
    public static MacAddress Broadcast => new(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

    public MacAddress(byte b0, byte b1, byte b2, byte b3, byte b4, byte b5)
    {
        Span<byte> bytes = [b0, b1, b2, b3, b4, b5];
        this = MemoryMarshal.Read<MacAddress>(bytes);
    }

    /// <summary>Reads the first 6 bytes of <paramref name="bytes"/>.</summary>
    public MacAddress(ReadOnlySpan<byte> bytes) => this = MemoryMarshal.Read<MacAddress>(bytes);

    /// <summary>True for group addresses (I/G bit, the least significant bit of the first octet; IEEE 802-2014 8.2).</summary>
    public bool IsMulticast
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (Unsafe.As<uint, byte>(ref Unsafe.AsRef(in _head)) & 1) != 0;
    }

    public bool IsBroadcast => this == Broadcast;

    public void CopyTo(Span<byte> destination) => MemoryMarshal.Write(destination, in this);

    public bool Equals(MacAddress other) => _head == other._head && _tail == other._tail;

    public override bool Equals(object? obj) => obj is MacAddress other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_head, _tail);

    public static bool operator ==(MacAddress left, MacAddress right) => left.Equals(right);

    public static bool operator !=(MacAddress left, MacAddress right) => !left.Equals(right);

    public override string ToString()
    {
        Span<byte> b = stackalloc byte[6];
        CopyTo(b);
        return $"{b[0]:x2}:{b[1]:x2}:{b[2]:x2}:{b[3]:x2}:{b[4]:x2}:{b[5]:x2}";
    }
}
