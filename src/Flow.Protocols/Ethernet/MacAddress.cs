using System.Buffers.Binary;
using System.Globalization;
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

    /// <summary>
    /// Reads an address as people write it: six two-digit hex groups separated by <c>:</c> or
    /// <c>-</c> (one separator throughout: <c>02:00:00:00:00:0a</c>, <c>02-00-00-00-00-0A</c>), or
    /// Cisco's three dot-separated four-digit groups (<c>0200.0000.000a</c>); either case,
    /// surrounding white space ignored. Anything else is false.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, out MacAddress address)
    {
        address = default;
        text = text.Trim();
        Span<byte> bytes = stackalloc byte[6];
        if (text.Length == 17)
        {
            char separator = text[2];
            if (separator is not (':' or '-'))
            {
                return false;
            }
            for (int i = 0; i < 6; i++)
            {
                if ((i < 5 && text[(i * 3) + 2] != separator) || !TryParseHex(text.Slice(i * 3, 2), out bytes[i]))
                {
                    return false;
                }
            }
        }
        else if (text.Length == 14)
        {
            for (int i = 0; i < 3; i++)
            {
                ReadOnlySpan<char> group = text.Slice(i * 5, 4);
                if ((i < 2 && text[(i * 5) + 4] != '.') || !TryParseHex(group[..2], out bytes[i * 2]) || !TryParseHex(group[2..], out bytes[(i * 2) + 1]))
                {
                    return false;
                }
            }
        }
        else
        {
            return false;
        }
        address = new MacAddress(bytes);
        return true;
    }

    /// <summary>Exactly two hex digits: <see cref="NumberStyles.AllowHexSpecifier"/> alone takes no sign, prefix or white space.</summary>
    private static bool TryParseHex(ReadOnlySpan<char> digits, out byte value) =>
        byte.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);

    public void CopyTo(Span<byte> destination) => MemoryMarshal.Write(destination, in this);

    /// <summary>
    /// The address as a number: wire byte i in bits 8i to 8i + 7 (the six bytes read
    /// little-endian), the top 16 bits zero. For table keys and single-word atomic stores.
    /// </summary>
    public ulong ToUInt64()
    {
        Span<byte> bytes = stackalloc byte[8];
        bytes.Clear();
        CopyTo(bytes);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }

    /// <summary>The address whose <see cref="ToUInt64"/> is <paramref name="value"/> (bits above 47 are ignored).</summary>
    public static MacAddress FromUInt64(ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return new MacAddress(bytes);
    }

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
