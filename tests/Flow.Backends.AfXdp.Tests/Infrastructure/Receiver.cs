using System.Diagnostics;

namespace Flow.Backends.AfXdp.Tests.Infrastructure;

/// <summary>Polls an rx stage by hand until a count of frames arrived or a bounded wait ran out.</summary>
internal static class Receiver
{
    public static List<byte[]> Receive(AfXdpRx rx, int count, TimeSpan limit, Func<byte[], bool>? keep = null)
    {
        var frames = new List<byte[]>();
        Span<Packet> packets = stackalloc Packet[32];
        Span<Next> nexts = stackalloc Next[32];
        var clock = Stopwatch.StartNew();
        while (frames.Count < count && clock.Elapsed < limit)
        {
            int n = rx.Poll(packets, nexts);
            for (int i = 0; i < n; i++)
            {
                byte[] data = packets[i].Data.ToArray();
                if (keep is null || keep(data))
                {
                    frames.Add(data);
                }
            }
            PacketPools.Free(packets.Slice(0, n));
            if (n == 0)
            {
                Thread.Yield();
            }
        }
        return frames;
    }
}
