using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Flow.Net.Tcp;

namespace Flow.Benchmarks.Net;

/// <summary>
/// The <c>stack</c> scenario's TCP loads and servers: request/response on one connection (64-byte
/// requests echoed, each answer checked) and bulk (the client streams a known byte pattern that
/// the server checks as it counts). Kernel and Flow servers do the same work on one thread.
/// </summary>
internal static class TcpLoads
{
    public const int RequestLength = 64;
    private const int PatternPeriod = 251;
    private static readonly byte[] s_pattern = MakePattern(64 * 1024 + PatternPeriod);

    /// <summary>Request/response for <paramref name="duration"/> on the calling thread; returns transactions per second, counts wrong answers.</summary>
    public static double RequestResponse(Socket socket, TimeSpan duration, ref long corrupt)
    {
        byte[] request = new byte[RequestLength];
        byte[] response = new byte[RequestLength];
        long transactions = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            BinaryPrimitives.WriteInt64BigEndian(request, transactions);
            request.AsSpan(8).Fill((byte)transactions);
            socket.Send(request);
            int got = 0;
            while (got < RequestLength)
            {
                int n = socket.Receive(response.AsSpan(got));
                if (n == 0)
                {
                    throw new InvalidOperationException("the server closed the connection");
                }
                got += n;
            }
            if (!response.AsSpan().SequenceEqual(request))
            {
                corrupt++;
            }
            transactions++;
        }
        return transactions / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Request/response on many connections from the calling thread, in waves: a request on every
    /// connection (each names its connection and wave), then every answer, checked; returns
    /// transactions per second.
    /// </summary>
    public static double RequestResponseMany(Socket[] sockets, TimeSpan duration, ref long corrupt)
    {
        byte[] request = new byte[RequestLength];
        byte[] response = new byte[RequestLength];
        long waves = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            for (int i = 0; i < sockets.Length; i++)
            {
                Request(request, waves, i);
                sockets[i].Send(request);
            }
            for (int i = 0; i < sockets.Length; i++)
            {
                int got = 0;
                while (got < RequestLength)
                {
                    int n = sockets[i].Receive(response.AsSpan(got));
                    if (n == 0)
                    {
                        throw new InvalidOperationException("the server closed a connection");
                    }
                    got += n;
                }
                Request(request, waves, i);
                if (!response.AsSpan().SequenceEqual(request))
                {
                    corrupt++;
                }
            }
            waves++;
        }
        return waves * sockets.Length / clock.Elapsed.TotalSeconds;
    }

    private static void Request(byte[] request, long wave, int connection)
    {
        BinaryPrimitives.WriteInt64BigEndian(request, wave);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(8), connection);
        request.AsSpan(12).Fill((byte)(wave + connection));
    }

    /// <summary>Kernel, the way an application on the thread pool is written: echoes with awaits until <paramref name="stop"/>.</summary>
    public static async Task KernelEchoAsync(Socket socket, CancellationToken stop)
    {
        byte[] buffer = new byte[4096];
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, stop).ConfigureAwait(false);
                await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Streams the pattern until <paramref name="stop"/>, going on from where the connection's stream stands (<paramref name="sent"/>).</summary>
    public static void Stream(Socket socket, StrongBox<long> sent, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            int start = (int)(sent.Value % PatternPeriod);
            sent.Value += socket.Send(s_pattern.AsSpan(start, 64 * 1024));
        }
    }

    /// <summary>Kernel: echoes what arrives until <paramref name="stop"/>.</summary>
    public static void KernelEcho(Socket socket, CancellationToken stop)
    {
        socket.ReceiveTimeout = 100;
        byte[] buffer = new byte[4096];
        while (!stop.IsCancellationRequested)
        {
            int n = KernelRead(socket, buffer);
            if (n > 0)
            {
                socket.Send(buffer.AsSpan(0, n));
            }
        }
    }

    /// <summary>Flow: echoes what arrives until <paramref name="stop"/>.</summary>
    public static void FlowEcho(FlowTcpStream stream, CancellationToken stop)
    {
        byte[] buffer = new byte[4096];
        int n;
        while ((n = FlowRead(stream, buffer, stop)) >= 0)
        {
            ValueTask written = stream.WriteAsync(buffer.AsMemory(0, n), stop);
            if (!written.IsCompletedSuccessfully)
            {
                written.AsTask().GetAwaiter().GetResult();
            }
        }
    }

    /// <summary>Flow, the way an application on the thread pool is written: echoes with awaits until <paramref name="stop"/>.</summary>
    public static async Task FlowEchoAsync(FlowTcpStream stream, CancellationToken stop)
    {
        byte[] buffer = new byte[4096];
        try
        {
            while (true)
            {
                int n = await stream.ReadAsync(buffer, stop).ConfigureAwait(false);
                await stream.WriteAsync(buffer.AsMemory(0, n), stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Flow, run to completion on the stack's worker: echoes what the send buffer takes; the rest when acknowledgments made room.</summary>
    public static void WorkerEcho(FlowTcpWorkerConnection connection)
    {
        Span<byte> buffer = stackalloc byte[4096];
        int n;
        while ((n = connection.Read(buffer.Slice(0, Math.Min(buffer.Length, connection.WriteSpace)))) > 0)
        {
            connection.Write(buffer.Slice(0, n));
        }
    }

    /// <summary>Kernel: reads, checks and counts the pattern until <paramref name="stop"/>.</summary>
    public static void KernelSink(Socket socket, BulkTally tally, CancellationToken stop)
    {
        socket.ReceiveTimeout = 100;
        byte[] buffer = new byte[64 * 1024];
        while (!stop.IsCancellationRequested)
        {
            tally.Take(buffer.AsSpan(0, KernelRead(socket, buffer)));
        }
    }

    /// <summary>Flow: reads, checks and counts the pattern until <paramref name="stop"/>.</summary>
    public static void FlowSink(FlowTcpStream stream, BulkTally tally, CancellationToken stop)
    {
        byte[] buffer = new byte[64 * 1024];
        int n;
        while ((n = FlowRead(stream, buffer, stop)) >= 0)
        {
            tally.Take(buffer.AsSpan(0, n));
        }
    }

    /// <summary>A blocking receive; 0 when its 100 ms timeout passed (the caller looks at its stop token again).</summary>
    private static int KernelRead(Socket socket, byte[] buffer)
    {
        try
        {
            return socket.Receive(buffer);
        }
        catch (SocketException)
        {
            return 0;
        }
    }

    /// <summary>Flow's read, waited on by this thread when it does not complete at once; -1 once <paramref name="stop"/> fires.</summary>
    private static int FlowRead(FlowTcpStream stream, byte[] buffer, CancellationToken stop)
    {
        try
        {
            ValueTask<int> read = stream.ReadAsync(buffer, stop);
            return read.IsCompletedSuccessfully ? read.Result : read.AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            return -1;
        }
    }

    private static byte[] MakePattern(int length)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i % PatternPeriod);
        }
        return bytes;
    }

    /// <summary>What a bulk receiver took: bytes, and the bytes that broke the pattern.</summary>
    internal sealed class BulkTally
    {
        private long _bytes;

        public long Bytes => Volatile.Read(ref _bytes);

        public long Corrupt { get; private set; }

        public void Take(ReadOnlySpan<byte> data)
        {
            int start = (int)(_bytes % PatternPeriod);
            if (!data.SequenceEqual(s_pattern.AsSpan(start, data.Length)))
            {
                Corrupt += data.Length;
            }
            Volatile.Write(ref _bytes, _bytes + data.Length);
        }
    }
}
