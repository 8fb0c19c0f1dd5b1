using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;

namespace Flow.Benchmarks.Net;

/// <summary>
/// The load of the <c>stack</c> scenario's UDP echo: one connected kernel socket in the client's
/// namespace keeps <see cref="Window"/> datagrams of 64 bytes in flight and sends the next as each
/// echo comes back, a batch per system call each way (<see cref="BatchedUdp"/>). Every echo is
/// checked whole — its sequence number and the 56 bytes made from it — so a server that drops,
/// reorders or corrupts is counted, not only one that is slow.
/// </summary>
internal sealed class UdpEchoClient : IDisposable
{
    public const int PayloadLength = 64;
    public const int Window = 64;

    private readonly BatchedUdp _udp;
    private readonly int[] _lengths = Enumerable.Repeat(PayloadLength, BatchedUdp.Batch).ToArray();

    public UdpEchoClient(Socket socket)
    {
        socket.ReceiveTimeout = 200;
        _udp = new BatchedUdp(socket, 2048);
    }

    public long Echoed { get; private set; }

    public long Corrupt { get; private set; }

    /// <summary>Datagrams that never came back (a window is re-sent after 200 ms of silence).</summary>
    public long Lost { get; private set; }

    /// <summary>Runs for <paramref name="duration"/> on the calling thread; returns echoes per second.</summary>
    public double Run(TimeSpan duration)
    {
        ulong sequence = 0;
        int outstanding = 0;
        long echoed = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            while (outstanding < Window)
            {
                int count = Math.Min(Window - outstanding, BatchedUdp.Batch);
                for (int i = 0; i < count; i++)
                {
                    Fill(_udp.Slot(i).Slice(0, PayloadLength), sequence++);
                }
                outstanding += _udp.Send(count, _lengths, toSenders: false);
            }
            int n = _udp.Receive(keepSenders: false);
            if (n == 0)
            {
                Lost += outstanding;
                outstanding = 0;
                continue;
            }
            outstanding -= n;
            for (int i = 0; i < n; i++)
            {
                if (IsIntact(_udp.Slot(i).Slice(0, _udp.ReceivedLength(i))))
                {
                    echoed++;
                }
                else
                {
                    Corrupt++;
                }
            }
        }
        double seconds = clock.Elapsed.TotalSeconds;
        Drain(ref outstanding);
        Lost += outstanding;
        Echoed += echoed;
        return echoed / seconds;
    }

    public void Dispose() => _udp.Dispose();

    private void Drain(ref int outstanding)
    {
        while (outstanding > 0)
        {
            int n = _udp.Receive(keepSenders: false);
            if (n == 0)
            {
                return;
            }
            outstanding -= n;
            for (int i = 0; i < n; i++)
            {
                if (!IsIntact(_udp.Slot(i).Slice(0, _udp.ReceivedLength(i))))
                {
                    Corrupt++;
                }
            }
        }
    }

    private static void Fill(Span<byte> payload, ulong sequence)
    {
        BinaryPrimitives.WriteUInt64BigEndian(payload, sequence);
        for (int i = 8; i < payload.Length; i++)
        {
            payload[i] = (byte)(sequence * 31 + (ulong)i);
        }
    }

    private static bool IsIntact(ReadOnlySpan<byte> payload)
    {
        if (payload.Length != PayloadLength)
        {
            return false;
        }
        ulong sequence = BinaryPrimitives.ReadUInt64BigEndian(payload);
        for (int i = 8; i < payload.Length; i++)
        {
            if (payload[i] != (byte)(sequence * 31 + (ulong)i))
            {
                return false;
            }
        }
        return true;
    }
}
