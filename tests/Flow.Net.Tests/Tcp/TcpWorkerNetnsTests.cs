using System.Net;
using Flow.Net.Tcp;
using Xunit;

namespace Flow.Net.Tests.Tcp;

/// <summary>
/// Connections served run to completion on the stack's worker (<see cref="FlowTcpListener.StartOnWorker"/>)
/// against a Linux client: a megabyte echoed intact through a handler that reads only what it can
/// write back (so it waits on acknowledgments for room), and a handler that throws resets its
/// connection and is counted.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class TcpWorkerNetnsTests
{
    private const int Megabyte = 1 << 20;

    /// <summary>Echo: as much as the send buffer takes now; the rest is read when acknowledgments made room.</summary>
    private static void Echo(FlowTcpWorkerConnection connection)
    {
        Span<byte> buffer = stackalloc byte[16 * 1024];
        int n;
        while ((n = connection.Read(buffer.Slice(0, Math.Min(buffer.Length, connection.WriteSpace)))) > 0)
        {
            connection.Write(buffer.Slice(0, n));
        }
        if (connection.PeerFinished)
        {
            connection.Shutdown();
        }
    }

    [Fact]
    public void ALinuxClientGetsAMegabyteBackIntactFromAnEchoHandlerOnTheWorker()
    {
        using var host = new StackHost();
        // Buffers smaller than the megabyte, so the handler runs out of room and is called back.
        using FlowTcpListener listener = host.Stack.CreateTcpListener(new IPEndPoint(IPAddress.Any, 7), sendBufferSize: 64 * 1024, receiveBufferSize: 64 * 1024);
        listener.StartOnWorker(Echo);
        Assert.Throws<InvalidOperationException>(() => listener.StartOnWorker(Echo));

        string result = host.Python(TcpNetnsTests.LinuxEchoClient(StackHost.StackAddress, 7, Megabyte), timeoutSeconds: 90);

        Assert.Equal($"intact {Megabyte}", result.Trim());
        Assert.Equal(0, host.Stack.Tcp.WorkerHandlerFailures);
    }

    [Fact]
    public async Task AHandlerThatThrowsResetsItsConnectionAndTheListenerServesTheNext()
    {
        using var host = new StackHost();
        using FlowTcpListener listener = host.Stack.CreateTcpListener(new IPEndPoint(IPAddress.Any, 7));
        listener.StartOnWorker(connection =>
        {
            Span<byte> buffer = stackalloc byte[16];
            int n = connection.Read(buffer);
            if (n > 0 && buffer[0] == (byte)'!')
            {
                throw new InvalidOperationException("the application failed");
            }
            connection.Write(buffer.Slice(0, n));
        });

        string result = host.Python($"""
            import socket
            s = socket.create_connection(('{StackHost.StackAddress}', 7), timeout=10)
            s.sendall(b'!')
            try:
                print('answered', s.recv(16))
            except ConnectionResetError:
                print('reset')
            t = socket.create_connection(('{StackHost.StackAddress}', 7), timeout=10)
            t.sendall(b'ok')
            print(t.recv(16).decode())
            """, timeoutSeconds: 60);

        Assert.Equal(["reset", "ok"], result.Trim().Split('\n'));
        Assert.Equal(1, host.Stack.Tcp.WorkerHandlerFailures);
        await Assert.ThrowsAsync<InvalidOperationException>(() => listener.AcceptAsync().AsTask());
    }
}
