using System.Numerics;
using System.Security.Cryptography;

namespace Flow.Net.Tcp;

/// <summary>
/// SYN cookies (RFC 4987 3.6): when a listener's queue of half-open connections is full, its
/// SYN-ACK's initial sequence number encodes the connection instead of a queue entry, and the
/// handshake's ACK brings it back. A SYN flood then costs no memory, and a real client's
/// handshake still completes.
/// </summary>
/// <remarks>
/// <code>
///  31                               7 6         2 1   0
/// +----------------------------------+-----------+-----+
/// | keyed hash of the four-tuple and t (25 bits) | t (5) | MSS index (2) |
/// +----------------------------------+-----------+-----+
/// </code>
/// t counts 64-second periods; a cookie is good for the current and the previous period. The
/// hash is keyed with a secret drawn at start; a forger has one chance in 2^25 per guess. What a
/// cookie cannot carry (window scale, SACK) the connection goes without, as on Linux without
/// TCP timestamps.
/// </remarks>
internal static class SynCookies
{
    private static readonly ushort[] s_mss = [536, 1220, 1440, 1460];
    private static readonly ulong s_secret0 = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
    private static readonly ulong s_secret1 = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));

    /// <summary>The cookie for a SYN of <paramref name="key"/> whose MSS option is <paramref name="mss"/>.</summary>
    public static uint Make(TcpKey key, int mss, long nowNs)
    {
        uint period = Period(nowNs);
        int index = s_mss.Length - 1;
        while (index > 0 && s_mss[index] > mss)
        {
            index--;
        }
        return (Hash(key, period) & 0xFFFF_FF80u) | (period << 2) | (uint)index;
    }

    /// <summary>True when <paramref name="cookie"/> (the ACK less one) is one this host made for <paramref name="key"/> lately; gives the MSS it encodes.</summary>
    public static bool TryCheck(TcpKey key, uint cookie, long nowNs, out int mss)
    {
        mss = s_mss[cookie & 3];
        uint period = (cookie >> 2) & 0x1F;
        uint now = Period(nowNs);
        if (period != now && period != ((now - 1) & 0x1F))
        {
            return false;
        }
        return (Hash(key, period) & 0xFFFF_FF80u) == (cookie & 0xFFFF_FF80u);
    }

    private static uint Period(long nowNs) => (uint)(nowNs / 64_000_000_000L) & 0x1F;

    private static uint Hash(TcpKey key, uint period)
    {
        ulong a = ((ulong)key.LocalAddress << 32 | key.RemoteAddress) ^ s_secret0;
        ulong b = ((ulong)key.LocalPort << 48 | (ulong)key.RemotePort << 32 | period) ^ s_secret1;
        ulong h = Mix(a ^ BitOperations.RotateLeft(Mix(b), 29));
        return (uint)(h >> 32) ^ (uint)h;
    }

    /// <summary>MurmurHash3's 64-bit finaliser.</summary>
    private static ulong Mix(ulong x)
    {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdUL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53UL;
        x ^= x >> 33;
        return x;
    }
}
