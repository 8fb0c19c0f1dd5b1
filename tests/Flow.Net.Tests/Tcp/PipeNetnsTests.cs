using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Flow.Net.Tcp;
using Flow.TestKit;
using Xunit;

namespace Flow.Net.Tests.Tcp;

/// <summary>
/// A connection's <see cref="FlowTcpStream.Input"/> and <see cref="FlowTcpStream.Output"/> against
/// Linux's TCP in a namespace (<see cref="StackHost"/>), with rings of 16 KiB so that a megabyte
/// wraps them 64 times: reads span the wrap (two-segment buffers), writes are larger than the ring
/// and go in pieces, and everything arrives intact (SHA-256).
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class PipeNetnsTests
{
    private const int Megabyte = 1 << 20;
    private const int Ring = 16 * 1024;

    [Fact]
    public async Task APipeEchoServerReturnsAMegabyteIntactToALinuxClient()
    {
        using var host = new StackHost();
        using FlowTcpListener listener = host.Stack.CreateTcpListener(new IPEndPoint(IPAddress.Any, 7020), sendBufferSize: Ring, receiveBufferSize: Ring);
        listener.Start();
        Task<(int Reads, int Wrapped, bool InPlace)> server = Task.Run(async () =>
        {
            await using FlowTcpStream stream = await listener.AcceptAsync();
            PipeReader input = stream.Input;
            PipeWriter output = stream.Output;
            int reads = 0, wrapped = 0;
            bool inPlace = true;
            while (true)
            {
                ReadResult result = await input.ReadAsync();
                ReadOnlySequence<byte> buffer = result.Buffer;
                reads++;
                wrapped += buffer.IsSingleSegment ? 0 : 1;
                foreach (ReadOnlyMemory<byte> segment in buffer)
                {
                    inPlace &= segment.IsEmpty || (MemoryMarshal.TryGetArray(segment, out ArraySegment<byte> array) && array.Array!.Length == Ring);
                    output.Write(segment.Span);
                }
                FlushResult flushed = await output.FlushAsync();
                Assert.False(flushed.IsCanceled);
                input.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
            await input.CompleteAsync();
            await output.CompleteAsync();
            return (reads, wrapped, inPlace);
        });

        string result = host.Python(TcpNetnsTests.LinuxEchoClient(StackHost.StackAddress, 7020, Megabyte), timeoutSeconds: 90);
        Assert.Equal($"intact {Megabyte}", result.Trim());
        (int reads, int wrapped, bool inPlace) = await server.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(inPlace, "a read returned memory that is not the receive ring's");
        Assert.True(wrapped > 0, $"none of {reads} reads spanned the ring's wrap point");
    }

    [Fact]
    public async Task APipeClientWritesMoreThanItsRingInPiecesAndReadsAcrossTheWrap()
    {
        using var host = new StackHost();
        Process server = host.Host.Begin(Shell.Python, "-c", TcpNetnsTests.LinuxEchoServer(9020));
        await Waits.Until(() => host.Host.Exec("ss", "-Htln", "sport = :9020").Contains("9020", StringComparison.Ordinal), "the Linux server listens on 9020");
        await using FlowTcpStream stream = await host.Stack.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse(StackHost.HostAddress), 9020),
            sendBufferSize: Ring, receiveBufferSize: Ring).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        PipeReader input = stream.Input;
        PipeWriter output = stream.Output;

        // Nothing has arrived: a canceled read ends at once, empty.
        ValueTask<ReadResult> idle = input.ReadAsync();
        input.CancelPendingRead();
        ReadResult canceled = await idle.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(canceled.IsCanceled);
        Assert.True(canceled.Buffer.IsEmpty);
        input.AdvanceTo(canceled.Buffer.Start);

        // The first small GetMemory is the send ring itself.
        Memory<byte> first = output.GetMemory(100);
        Assert.True(MemoryMarshal.TryGetArray<byte>(first, out ArraySegment<byte> ring) && ring.Array!.Length == Ring, "GetMemory did not hand out the send ring");

        byte[] data = RandomNumberGenerator.GetBytes(Megabyte);
        Task writer = Task.Run(async () =>
        {
            // Pieces of 700 bytes go into the ring in place; pieces of 40 000 are larger than the ring and go through the writer's own memory.
            int offset = 0;
            for (int piece = 0; offset < data.Length; piece++)
            {
                int size = piece % 3 == 2 ? 40_000 : 700;
                int n = Math.Min(size, data.Length - offset);
                Memory<byte> memory = output.GetMemory(size);
                Assert.True(memory.Length >= size, "GetMemory gave less than asked");
                data.AsMemory(offset, n).CopyTo(memory);
                output.Advance(n);
                offset += n;
                if (piece % 4 == 3)
                {
                    await output.FlushAsync();
                }
            }
            await output.CompleteAsync();
        });

        // Consume at most 3 000 bytes a read and examine no further, so the next read returns at once with the rest.
        var received = new MemoryStream();
        int wrapped = 0;
        while (true)
        {
            ReadResult result = await input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            ReadOnlySequence<byte> buffer = result.Buffer;
            wrapped += buffer.IsSingleSegment ? 0 : 1;
            ReadOnlySequence<byte> taken = buffer.Slice(0, Math.Min(buffer.Length, 3000));
            foreach (ReadOnlyMemory<byte> segment in taken)
            {
                received.Write(segment.Span);
            }
            input.AdvanceTo(taken.End);
            if (result.IsCompleted && taken.Length == buffer.Length)
            {
                break;
            }
        }
        await writer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received.ToArray()));
        Assert.True(wrapped > 0, "no read spanned the ring's wrap point");
        Assert.True(server.WaitForExit(10_000), "the Linux server did not see the FIN after the data");
    }

    [Fact]
    public async Task AReadWaitsForDataPastWhatWasExaminedAndKeepsWhatWasNotConsumed()
    {
        using var host = new StackHost();
        Process server = host.Host.Begin(Shell.Python, "-c", """
            import socket
            l = socket.socket()
            l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            l.bind(('0.0.0.0', 9021))
            l.listen(1)
            l.settimeout(30)
            c, _ = l.accept()
            c.settimeout(30)
            c.sendall(b'hello')
            assert c.recv(2) == b'go'
            c.sendall(b' world')
            c.close()
            """);
        await Waits.Until(() => host.Host.Exec("ss", "-Htln", "sport = :9021").Contains("9021", StringComparison.Ordinal), "the Linux server listens on 9021");
        await using FlowTcpStream stream = await host.Stack.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse(StackHost.HostAddress), 9021))
            .AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        PipeReader input = stream.Input;

        ReadResult result = await input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        while (result.Buffer.Length < 5)
        {
            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            result = await input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
        Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(result.Buffer.ToArray()));
        // Nothing consumed, everything examined: the next read waits for more.
        input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        ValueTask<ReadResult> next = input.ReadAsync();
        await Task.Delay(300);
        Assert.False(next.IsCompleted, "a read returned without data past what was examined");

        await stream.Output.WriteAsync("go"u8.ToArray());
        result = await next.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        while (!result.IsCompleted)
        {
            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            result = await input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
        Assert.Equal("hello world", System.Text.Encoding.ASCII.GetString(result.Buffer.ToArray()));
        input.AdvanceTo(result.Buffer.End);
        Assert.True(server.WaitForExit(10_000), "the Linux server did not end");
        Assert.Equal(0, server.ExitCode);
    }
}
