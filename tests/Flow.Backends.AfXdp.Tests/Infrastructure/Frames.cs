namespace Flow.Backends.AfXdp.Tests.Infrastructure;

/// <summary>Test frames: Ethernet with the local-experimental ethertype 0x88B5 and a patterned payload.</summary>
internal static class Frames
{
    public const ushort EtherType = 0x88B5;

    public static byte[] Make(byte[] destination, byte[] source, int length, int seed)
    {
        var frame = new byte[length];
        destination.CopyTo(frame, 0);
        source.CopyTo(frame, 6);
        frame[12] = EtherType >> 8;
        frame[13] = EtherType & 0xFF;
        for (int i = 14; i < length; i++)
        {
            frame[i] = (byte)(seed * 31 + i);
        }
        return frame;
    }

    public static bool IsTest(ReadOnlySpan<byte> frame) => frame.Length >= 14 && frame[12] == EtherType >> 8 && frame[13] == (EtherType & 0xFF);
}
