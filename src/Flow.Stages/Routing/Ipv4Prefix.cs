using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Flow.Protocols.Ipv4;

namespace Flow.Stages.Routing;

/// <summary>
/// An IPv4 prefix: an address in host order with its host bits cleared, and a length 0–32.
/// <c>10.1.0.0/16</c>, <c>0.0.0.0/0</c> (default route), <c>192.0.2.1/32</c> (one host).
/// </summary>
public readonly struct Ipv4Prefix : IEquatable<Ipv4Prefix>
{
    /// <summary>Makes a prefix; host bits of <paramref name="address"/> beyond <paramref name="length"/> are cleared.</summary>
    public Ipv4Prefix(uint address, int length)
    {
        if ((uint)length > 32)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "a prefix length is 0 to 32");
        }
        Address = address & MaskOf(length);
        Length = (byte)length;
    }

    public Ipv4Prefix(Ipv4Address address, int length)
        : this(address.Value.Host, length)
    {
    }

    /// <summary>Network address in host byte order, host bits zero.</summary>
    public uint Address { get; }

    /// <summary>Prefix length in bits, 0–32.</summary>
    public int Length { get; }

    /// <summary>Network mask of the prefix in host order (0 for /0).</summary>
    public uint Mask => MaskOf(Length);

    /// <summary>Addresses the prefix covers (2^32 for /0 does not fit a uint).</summary>
    public ulong Size => 1UL << (32 - Length);

    public bool Contains(uint address) => (address & Mask) == Address;

    /// <summary>The network mask of a prefix length (0 for /0: a shift by 32 would be a no-op in C#).</summary>
    public static uint MaskOf(int length) => length == 0 ? 0 : uint.MaxValue << (32 - length);

    /// <summary>Parses <c>a.b.c.d/len</c>; the address must have no bits beyond the length set.</summary>
    public static Ipv4Prefix Parse(string text) =>
        TryParse(text, out Ipv4Prefix prefix, out string? error) ? prefix : throw new FormatException(error);

    /// <summary>
    /// Parses <c>a.b.c.d/len</c>. Refuses host bits set beyond the length (<c>10.1.2.3/16</c>):
    /// a route is almost always meant as written, and silently masking hides typos.
    /// </summary>
    public static bool TryParse(string? text, out Ipv4Prefix prefix, [NotNullWhen(false)] out string? error)
    {
        prefix = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "a prefix is written a.b.c.d/len";
            return false;
        }
        int slash = text.IndexOf('/');
        if (slash < 0 || !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int length) || length > 32)
        {
            error = $"'{text}' is not a.b.c.d/len with len 0 to 32";
            return false;
        }
        if (!System.Net.IPAddress.TryParse(text.AsSpan(0, slash), out System.Net.IPAddress? ip)
            || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            error = $"'{text}': '{text[..slash]}' is not an IPv4 address";
            return false;
        }
        Span<byte> bytes = stackalloc byte[4];
        ip.TryWriteBytes(bytes, out _);
        uint address = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes);
        if ((address & ~MaskOf(length)) != 0)
        {
            error = $"'{text}' has host bits set beyond /{length}; did you mean {new Ipv4Prefix(address, length)}?";
            return false;
        }
        prefix = new Ipv4Prefix(address, length);
        error = null;
        return true;
    }

    public bool Equals(Ipv4Prefix other) => Address == other.Address && Length == other.Length;

    public override bool Equals(object? obj) => obj is Ipv4Prefix other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Address, Length);

    public static bool operator ==(Ipv4Prefix left, Ipv4Prefix right) => left.Equals(right);

    public static bool operator !=(Ipv4Prefix left, Ipv4Prefix right) => !left.Equals(right);

    public override string ToString() =>
        $"{Address >> 24}.{(Address >> 16) & 0xFF}.{(Address >> 8) & 0xFF}.{Address & 0xFF}/{Length}";
}
