namespace Flow.Protocols.Ethernet;

/// <summary>Writes Ethernet II headers.</summary>
public static class EthernetBuilder
{
    /// <summary>
    /// Shortest frame on the wire without the FCS (IEEE 802.3 4.2.3.3). Builders pad to it
    /// because user-space transmit paths (AF_PACKET, memif) send what they are given.
    /// </summary>
    public const int MinimumFrameLength = 60;

    public static bool TryWriteHeader(Span<byte> destination, MacAddress destinationMac, MacAddress sourceMac, ushort etherType)
    {
        if ((uint)destination.Length < EthernetHeader.Size)
        {
            return false;
        }

        ref EthernetHeader header = ref Internal.Wire.As<EthernetHeader>(destination);
        header.Destination = destinationMac;
        header.Source = sourceMac;
        header.EtherType = new NetU16(etherType);
        return true;
    }

    /// <summary>
    /// Zero-fills a frame of <paramref name="length"/> bytes up to <see cref="MinimumFrameLength"/>
    /// and returns the padded length, or the original length when no padding is needed or
    /// the buffer is too short to hold it.
    /// </summary>
    public static int PadToMinimum(Span<byte> frame, int length)
    {
        if (length >= MinimumFrameLength || (uint)frame.Length < MinimumFrameLength)
        {
            return length;
        }

        frame[length..MinimumFrameLength].Clear();
        return MinimumFrameLength;
    }
}
