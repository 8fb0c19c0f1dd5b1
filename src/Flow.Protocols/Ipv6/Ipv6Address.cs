using System.Runtime.InteropServices;

namespace Flow.Protocols.Ipv6;

/// <summary>An IPv6 address in wire order; 16 bytes, no padding.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public readonly struct Ipv6Address : IEquatable<Ipv6Address>
{
    private readonly ulong _high;
    private readonly ulong _low;

    /// <summary>Reads the first 16 bytes of <paramref name="bytes"/>.</summary>
    public Ipv6Address(ReadOnlySpan<byte> bytes) => this = MemoryMarshal.Read<Ipv6Address>(bytes);

    public static Ipv6Address Any => default;

    /// <summary>ff02::1, all nodes on the link (RFC 4291 2.7.1).</summary>
    public static Ipv6Address AllNodes => new([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

    /// <summary>True for ff00::/8 (RFC 4291 2.7).</summary>
    public bool IsMulticast => (byte)_high == 0xff;

    /// <summary>
    /// The solicited-node multicast address for this address: ff02::1:ff00:0/104 plus the low
    /// 24 bits (RFC 4291 2.7.1), the destination of a neighbour solicitation (RFC 4861 7.2.2).
    /// </summary>
    public Ipv6Address SolicitedNodeMulticast()
    {
        Span<byte> self = stackalloc byte[16];
        CopyTo(self);
        return new Ipv6Address([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, self[13], self[14], self[15]]);
    }

    public void CopyTo(Span<byte> destination) => MemoryMarshal.Write(destination, in this);

    public bool Equals(Ipv6Address other) => _high == other._high && _low == other._low;

    public override bool Equals(object? obj) => obj is Ipv6Address other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_high, _low);

    public static bool operator ==(Ipv6Address left, Ipv6Address right) => left.Equals(right);

    public static bool operator !=(Ipv6Address left, Ipv6Address right) => !left.Equals(right);

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[16];
        CopyTo(bytes);
        return new System.Net.IPAddress(bytes).ToString();
    }
}
