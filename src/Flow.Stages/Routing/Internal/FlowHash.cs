using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Flow.Stages.Routing.Internal;

/// <summary>
/// Software flow hash for ECMP when the backend gave none: CRC32C over source, destination,
/// protocol and, for unfragmented TCP/UDP/SCTP, the two ports (the 5-tuple). CRC32C is one
/// instruction per 4 bytes with SSE4.2 (<see cref="BitOperations.Crc32C(uint, uint)"/>), and
/// its low bits, which index the redirection table, mix every input bit.
/// </summary>
internal static unsafe class FlowHash
{
    /// <summary>Hash of the IPv4 packet at <paramref name="l3"/> with <paramref name="available"/> bytes from there; never 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Compute(byte* l3, int available)
    {
        uint hash = BitOperations.Crc32C(0x9E37_79B9u, Unsafe.ReadUnaligned<uint>(l3 + 12));
        hash = BitOperations.Crc32C(hash, Unsafe.ReadUnaligned<uint>(l3 + 16));
        byte protocol = l3[9];
        hash = BitOperations.Crc32C(hash, protocol);
        int headerLength = (l3[0] & 0x0F) * 4;
        // Ports only for unfragmented packets: a non-first fragment has payload bytes there, and
        // all fragments of a datagram must take one path, so none of them hashes ports (Linux's
        // fib_multipath_hash does the same).
        bool fragment = (BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(l3 + 6, 2)) & 0x3FFF) != 0;
        if (protocol is 6 or 17 or 132 && !fragment && headerLength + 4 <= available)
        {
            hash = BitOperations.Crc32C(hash, Unsafe.ReadUnaligned<uint>(l3 + headerLength));
        }
        return hash == 0 ? 1 : hash;
    }
}
