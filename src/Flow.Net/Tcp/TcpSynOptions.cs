using System.Buffers.Binary;
using Flow.Protocols.Ipv4;

namespace Flow.Net.Tcp;

/// <summary>
/// What a SYN's options say: MSS (RFC 9293 3.7.1; 536 without), window scale (RFC 7323 2; -1
/// without), SACK-permitted (RFC 2018 2), timestamps (RFC 7323 3) and the peer's clock.
/// </summary>
internal readonly record struct TcpSynOptions(int Mss, int WindowScale, bool SackPermitted, bool Timestamps, uint TimestampValue)
{
    public static TcpSynOptions Read(ReadOnlySpan<byte> options)
    {
        int mss = 536;
        int scale = -1;
        bool sackPermitted = false;
        bool timestamps = false;
        uint timestampValue = 0;
        var reader = new Ipv4OptionReader(options);
        while (reader.TryReadNext(out byte kind, out ReadOnlySpan<byte> value))
        {
            if (kind == 2 && value.Length == 2)
            {
                mss = BinaryPrimitives.ReadUInt16BigEndian(value);
            }
            else if (kind == 3 && value.Length == 1)
            {
                scale = Math.Min((int)value[0], 14);
            }
            else if (kind == 4 && value.IsEmpty)
            {
                sackPermitted = true;
            }
            else if (kind == 8 && value.Length == 8)
            {
                timestamps = true;
                timestampValue = BinaryPrimitives.ReadUInt32BigEndian(value);
            }
        }
        return new TcpSynOptions(mss, scale, sackPermitted, timestamps, timestampValue);
    }
}
