using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Ipv6;

namespace Flow.Protocols;

/// <summary>
/// The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement
/// sum of the data taken as big-endian 16-bit words, and its incremental update (RFC 1624).
/// </summary>
/// <remarks>
/// <para>
/// Partial sums (<see cref="Sum(ReadOnlySpan{byte})"/>, <see cref="PseudoHeaderSum(Ipv4Address, Ipv4Address, byte, ushort)"/>)
/// are host-order numbers already folded to 16 bits, so they combine with <see cref="Add"/>
/// and end with <see cref="Finish"/>. A partial sum covers an even number of bytes unless
/// it is the last piece (RFC 1071 1.2.A: an odd trailing byte is padded with zero).
/// </para>
/// <para>
/// The bulk loop sums in native byte order and swaps once at the end; one's complement
/// addition is byte-order independent (RFC 1071 1.2.B), so no per-word swaps are needed.
/// It follows the 256/128/scalar structure of STYLE D4: 32-bit lanes accumulate the low
/// and high 16-bit halves of each 32-bit word separately, so a lane cannot carry out within
/// <see cref="VectorBlockIterations"/> iterations and no carry handling is needed inside
/// the loop.
/// </para>
/// </remarks>
public static class Checksum
{
    /// <summary>
    /// Iterations of the vector loop between folds. Each iteration adds at most
    /// 2 x 0xFFFF = 0x1FFFE to a 32-bit lane, so 32768 iterations cannot overflow it;
    /// 16384 leaves a factor of two.
    /// </summary>
    private const int VectorBlockIterations = 16384;

    /// <summary>The one's complement sum of <paramref name="data"/>, folded to 16 bits, in host order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Sum(ReadOnlySpan<byte> data) => FoldToNetworkOrder(SumNative(ref MemoryMarshal.GetReference(data), (nuint)data.Length));

    /// <summary>Adds <paramref name="data"/> to a running partial sum <paramref name="initial"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Sum(ReadOnlySpan<byte> data, ushort initial) => Add(Sum(data), initial);

    /// <summary>One's complement addition of two 16-bit partial sums (end-around carry).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Add(ushort a, ushort b)
    {
        uint s = (uint)a + b;
        return (ushort)(s + (s >> 16));
    }

    /// <summary>Turns a complete partial sum into the value to store in a checksum field.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static NetU16 Finish(ushort sum) => new((ushort)~sum);

    /// <summary>The checksum of <paramref name="data"/> with the checksum field itself zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static NetU16 Compute(ReadOnlySpan<byte> data) => Finish(Sum(data));

    /// <summary>
    /// True when <paramref name="data"/>, checksum field included, sums to all ones
    /// (the receiver's check, RFC 1071 1).
    /// </summary>
    public static bool IsValid(ReadOnlySpan<byte> data) => Sum(data) == 0xFFFF;

    /// <summary>The IPv4 pseudo-header sum for UDP and TCP (RFC 768; RFC 9293 3.1).</summary>
    public static ushort PseudoHeaderSum(Ipv4Address source, Ipv4Address destination, byte protocol, ushort length)
    {
        uint s = source.Value.Host, d = destination.Value.Host;
        ulong sum = (s >> 16) + (s & 0xFFFF) + (d >> 16) + (d & 0xFFFF) + (uint)protocol + length;
        return Fold(sum);
    }

    /// <summary>The IPv6 pseudo-header sum for upper-layer checksums (RFC 8200 8.1).</summary>
    public static ushort PseudoHeaderSum(Ipv6Address source, Ipv6Address destination, byte nextHeader, uint length)
    {
        ulong sum = SumNative(ref Unsafe.As<Ipv6Address, byte>(ref Unsafe.AsRef(in source)), 16)
            + SumNative(ref Unsafe.As<Ipv6Address, byte>(ref Unsafe.AsRef(in destination)), 16);
        ushort addresses = FoldToNetworkOrder(sum);
        return Fold((ulong)addresses + (length >> 16) + (length & 0xFFFF) + nextHeader);
    }

    /// <summary>
    /// RFC 1624 eqn. 3: <c>HC' = ~(~HC + ~m + m')</c>, the new checksum after one 16-bit
    /// field changed from <paramref name="oldValue"/> to <paramref name="newValue"/>.
    /// Works on the stored bit patterns directly (byte-order independence, RFC 1071 1.2.B).
    /// </summary>
    /// <remarks>
    /// Eqn. 3 rather than eqn. 2 because it never yields 0xFFFF where a full recomputation
    /// would yield 0x0000 (RFC 1624 3). For UDP, a stored checksum of zero means "none"
    /// (RFC 768) and must be left alone by the caller.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static NetU16 Update(NetU16 checksum, NetU16 oldValue, NetU16 newValue)
    {
        uint sum = (uint)(ushort)~checksum.Raw + (ushort)~oldValue.Raw + newValue.Raw;
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum += sum >> 16;
        return NetU16.FromRaw((ushort)~sum);
    }

    /// <summary>RFC 1624 eqn. 3 for a 32-bit field (an IPv4 address), as two 16-bit words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static NetU16 Update(NetU16 checksum, NetU32 oldValue, NetU32 newValue)
    {
        uint o = oldValue.Raw, n = newValue.Raw;
        ulong sum = (ulong)(ushort)~checksum.Raw
            + (ushort)~(ushort)o + (ushort)~(ushort)(o >> 16)
            + (ushort)n + (ushort)(n >> 16);
        return NetU16.FromRaw((ushort)~Fold(sum));
    }

    /// <summary>Folds a wide one's complement accumulator to 16 bits (end-around carries).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort Fold(ulong sum)
    {
        sum = (sum & 0xFFFFFFFF) + (sum >> 32);
        sum = (sum & 0xFFFFFFFF) + (sum >> 32);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)((sum & 0xFFFF) + (sum >> 16));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort FoldToNetworkOrder(ulong nativeSum)
    {
        ushort folded = Fold(nativeSum);
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(folded) : folded;
    }

    /// <summary>Sum of the 16-bit words of the buffer in native order, not yet folded.</summary>
    private static ulong SumNative(ref byte data, nuint length)
    {
        ulong total = 0;
        nuint offset = 0;

        if (Vector256.IsHardwareAccelerated && length >= (nuint)Vector256<byte>.Count)
        {
            total = SumVector256(ref data, length, ref offset);
        }
        else if (Vector128.IsHardwareAccelerated && length >= (nuint)Vector128<byte>.Count)
        {
            total = SumVector128(ref data, length, ref offset);
        }

        // Scalar tail (and the whole buffer without SIMD): 32-bit halves of 64-bit reads
        // into a 64-bit accumulator, which cannot overflow for any span length.
        while (length - offset >= 8)
        {
            ulong v = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref data, offset));
            total += (v & 0xFFFFFFFF) + (v >> 32);
            offset += 8;
        }

        if (length - offset >= 4)
        {
            total += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref data, offset));
            offset += 4;
        }

        if (length - offset >= 2)
        {
            total += Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref data, offset));
            offset += 2;
        }

        if (length - offset != 0)
        {
            // RFC 1071 1.2.A: an odd last byte is the high byte of a word whose low byte is zero.
            byte last = Unsafe.Add(ref data, offset);
            total += BitConverter.IsLittleEndian ? last : (uint)last << 8;
        }

        return total;
    }

    private static ulong SumVector256(ref byte data, nuint length, ref nuint offset)
    {
        Vector256<uint> low = Vector256.Create(0xFFFFu);
        ulong total = 0;
        while (length - offset >= (nuint)Vector256<byte>.Count)
        {
            Vector256<uint> acc0 = Vector256<uint>.Zero;
            Vector256<uint> acc1 = Vector256<uint>.Zero;
            int iterations = 0;

            // Two independent accumulators hide the add latency.
            while (length - offset >= 2 * (nuint)Vector256<byte>.Count && iterations < VectorBlockIterations)
            {
                Vector256<uint> a = Vector256.LoadUnsafe(ref data, offset).AsUInt32();
                Vector256<uint> b = Vector256.LoadUnsafe(ref data, offset + (nuint)Vector256<byte>.Count).AsUInt32();
                acc0 += (a & low) + (a >> 16);
                acc1 += (b & low) + (b >> 16);
                offset += 2 * (nuint)Vector256<byte>.Count;
                iterations++;
            }

            if (iterations < VectorBlockIterations && length - offset >= (nuint)Vector256<byte>.Count)
            {
                Vector256<uint> a = Vector256.LoadUnsafe(ref data, offset).AsUInt32();
                acc0 += (a & low) + (a >> 16);
                offset += (nuint)Vector256<byte>.Count;
            }

            (Vector256<ulong> l0, Vector256<ulong> h0) = Vector256.Widen(acc0);
            (Vector256<ulong> l1, Vector256<ulong> h1) = Vector256.Widen(acc1);
            total += Vector256.Sum(l0 + h0 + l1 + h1);
        }

        return total;
    }

    private static ulong SumVector128(ref byte data, nuint length, ref nuint offset)
    {
        Vector128<uint> low = Vector128.Create(0xFFFFu);
        ulong total = 0;
        while (length - offset >= (nuint)Vector128<byte>.Count)
        {
            Vector128<uint> acc0 = Vector128<uint>.Zero;
            Vector128<uint> acc1 = Vector128<uint>.Zero;
            int iterations = 0;

            while (length - offset >= 2 * (nuint)Vector128<byte>.Count && iterations < VectorBlockIterations)
            {
                Vector128<uint> a = Vector128.LoadUnsafe(ref data, offset).AsUInt32();
                Vector128<uint> b = Vector128.LoadUnsafe(ref data, offset + (nuint)Vector128<byte>.Count).AsUInt32();
                acc0 += (a & low) + (a >> 16);
                acc1 += (b & low) + (b >> 16);
                offset += 2 * (nuint)Vector128<byte>.Count;
                iterations++;
            }

            if (iterations < VectorBlockIterations && length - offset >= (nuint)Vector128<byte>.Count)
            {
                Vector128<uint> a = Vector128.LoadUnsafe(ref data, offset).AsUInt32();
                acc0 += (a & low) + (a >> 16);
                offset += (nuint)Vector128<byte>.Count;
            }

            (Vector128<ulong> l0, Vector128<ulong> h0) = Vector128.Widen(acc0);
            (Vector128<ulong> l1, Vector128<ulong> h1) = Vector128.Widen(acc1);
            total += Vector128.Sum(l0 + h0 + l1 + h1);
        }

        return total;
    }
}
