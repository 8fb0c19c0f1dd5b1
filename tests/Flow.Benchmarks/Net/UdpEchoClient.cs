using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;

namespace Flow.Benchmarks.Net;

/// <summary>
/// The load of the <c>stack</c> scenario's UDP echo: one connected kernel socket in the client's
/// namespace keeps <see cref="Window"/> datagrams of 64 bytes in flight and sends the next as each
/// echo comes back. Every echo is checked whole — its sequence number and the 56 bytes made from it
/// — so a server that drops, reorders or corrupts is counted, not only one that is slow.
/// </summary>
internal sealed class UdpEchoClient
{
    public const int PayloadLength = 64;
    public const int Window = 32;

    private readonly Socket _socket;

    public UdpEchoClient(Socket socket)
    {
        _socket = socket;
        _socket.ReceiveTimeout = 200;
    }

    public long Echoed { get; private set; }

    public long Corrupt { get; private set; }

    /// <summary>Datagrams that never came back (a window is re-sent after 200 ms of silence).</summary>
    public long Lost { get; private set; }

    /// <summary>Runs for <paramref name="duration"/> on the calling thread; returns echoes per second.</summary>
    public double Run(TimeSpan duration)
    {
        byte[] send = new byte[PayloadLength];
        byte[] receive = new byte[2048];
        ulong sequence = 0;
        int outstanding = 0;
        long echoed = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            while (outstanding < Window)
            {
                Fill(send, sequence++);
                _socket.Send(send);
                outstanding++;
            }
            int n;
            try
            {
                n = _socket.Receive(receive);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                Lost += outstanding;
                outstanding = 0;
                continue;
            }
            outstanding--;
            if (IsIntact(receive.AsSpan(0, n)))
            {
                echoed++;
            }
            else
            {
                Corrupt++;
            }
        }
        double seconds = clock.Elapsed.TotalSeconds;
        Drain(receive, ref outstanding);
        Lost += outstanding;
        Echoed += echoed;
        return echoed / seconds;
    }

    private void Drain(byte[] receive, ref int outstanding)
    {
        while (outstanding > 0)
        {
            try
            {
                int n = _socket.Receive(receive);
                outstanding--;
                if (!IsIntact(receive.AsSpan(0, n)))
                {
                    Corrupt++;
                }
            }
            catch (SocketException)
            {
                return;
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
