using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Flow.Net.Udp;
using Flow.TestKit;
using Xunit;

namespace Flow.Net.Tests.Udp;

/// <summary>
/// UDP sockets on Flow's stack against Linux's UDP in a namespace (<see cref="StackHost"/>): echo
/// both ways with every byte compared, port unreachable both ways, broadcast, loopback.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class UdpSocketNetnsTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public void LinuxPingsTheStack()
    {
        using var host = new StackHost();
        ShellResult ping = host.Host.TryExec(TimeSpan.FromSeconds(20), "ping", "-n", "-c", "3", "-i", "0.2", "-W", "3", StackHost.StackAddress);
        Assert.True(ping.ExitCode == 0, ping.Output);
    }

    [Fact]
    public async Task AnEchoServerOnTheStackReturnsEveryDatagramOfALinuxClientIntact()
    {
        using var host = new StackHost();
        await using FlowUdpSocket server = host.Stack.CreateUdpSocket();
        server.Bind(new IPEndPoint(IPAddress.Any, 7));
        using var stop = new CancellationTokenSource(Limit);
        Task echo = EchoAsync(server, stop.Token);

        // Sizes from 4 to 1472 bytes (a full 1500-byte packet), each compared byte for byte.
        string counts = host.Python($"""
            import os, random, socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(2)
            s.connect(('{StackHost.StackAddress}', 7))
            ok = bad = lost = 0
            for i in range(300):
                data = i.to_bytes(4, 'big') + os.urandom(random.randint(0, 1468))
                s.send(data)
                try:
                    back = s.recv(4096)
                    if back == data: ok += 1
                    else: bad += 1
                except socket.timeout:
                    lost += 1
            print(ok, bad, lost)
            """);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => echo);

        Assert.Equal("300 0 0", counts.Trim());
        Assert.Equal(0, server.ReceiveQueueDrops);
    }

    [Fact]
    public async Task AHandlerOnTheWorkerAnswersEveryDatagramIntactAndOneThatThrowsIsCounted()
    {
        using var host = new StackHost();
        await using FlowUdpSocket server = host.Stack.CreateUdpSocket();
        Assert.Throws<InvalidOperationException>(() => server.ReceiveOnWorker(static (s, in d) => { }));
        server.Bind(new IPEndPoint(IPAddress.Any, 7));
        int handled = 0;
        // Answers reversed (so an answer is the handler's, not an echo of the frame), throws on "boom".
        server.ReceiveOnWorker((socket, in datagram) =>
        {
            Interlocked.Increment(ref handled);
            if (datagram.Payload.SequenceEqual("boom"u8))
            {
                throw new InvalidOperationException("boom");
            }
            Span<byte> reversed = stackalloc byte[datagram.Payload.Length];
            datagram.Payload.CopyTo(reversed);
            reversed.Reverse();
            socket.Reply(datagram, reversed);
        });

        string counts = host.Python($"""
            import os, random, socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(2)
            s.connect(('{StackHost.StackAddress}', 7))
            s.send(b'boom')
            try:
                s.recv(4096)
                print('answered boom')
            except socket.timeout:
                pass
            ok = bad = lost = 0
            for i in range(300):
                data = i.to_bytes(4, 'big') + os.urandom(random.randint(0, 1468))
                s.send(data)
                try:
                    back = s.recv(4096)
                    if back == data[::-1]: ok += 1
                    else: bad += 1
                except socket.timeout:
                    lost += 1
            print(ok, bad, lost)
            """);

        Assert.Equal("300 0 0", counts.Trim());
        Assert.Equal(301, Volatile.Read(ref handled));
        Assert.Equal(0, server.WorkerSendDrops);
        Assert.Equal(1, host.Stack.Graph.GetStats().Stage("udp_receive").DroppedFor("handler_failed"));
        Assert.Throws<InvalidOperationException>(() => server.Reply(default, "outside"u8));

        // Back to queued delivery: the receive calls get the next datagram.
        server.ReceiveOnWorker(null);
        Task<SocketReceiveFromResult> received = server.ReceiveFromAsync(new byte[64]).AsTask();
        host.Python($"""
            import socket
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'queued', ('{StackHost.StackAddress}', 7))
            """);
        Assert.Equal(6, (await received.WaitAsync(Limit)).ReceivedBytes);
    }

    [Fact]
    public async Task AConnectedSocketOnTheStackExchangesIntactDatagramsWithALinuxServer()
    {
        using var host = new StackHost();
        Process server = host.Host.Begin(Shell.Python, "-c", """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(('0.0.0.0', 9000))
            s.settimeout(20)
            try:
                while True:
                    data, peer = s.recvfrom(4096)
                    s.sendto(data[::-1], peer)
            except socket.timeout:
                pass
            """);
        await Waits.Until(() => host.Host.Exec("ss", "-Huln", "sport = :9000").Contains("9000", StringComparison.Ordinal), "the Linux server listens on 9000");

        await using FlowUdpSocket client = host.Stack.CreateUdpSocket();
        client.Connect(new IPEndPoint(IPAddress.Parse(StackHost.HostAddress), 9000));
        Assert.InRange(client.LocalEndPoint!.Port, UdpPortTable.FirstEphemeralPort, UdpPortTable.LastEphemeralPort);
        byte[] buffer = new byte[4096];
        var random = new Random(20);
        int intact = 0;
        for (int i = 0; i < 200; i++)
        {
            byte[] data = new byte[random.Next(1, 1473)];
            random.NextBytes(data);
            await client.SendAsync(data);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            int n = await client.ReceiveAsync(buffer, wait.Token);
            Array.Reverse(data);
            intact += buffer.AsSpan(0, n).SequenceEqual(data) ? 1 : 0;
        }
        Assert.Equal(200, intact);
        server.Kill();
    }

    [Fact]
    public void APortNoSocketHasAnswersALinuxClientWithPortUnreachable()
    {
        using var host = new StackHost();
        string result = host.Python($"""
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(3)
            s.connect(('{StackHost.StackAddress}', 9999))
            s.send(b'anyone?')
            try:
                s.recv(100)
                print('answered')
            except ConnectionRefusedError:
                print('refused')
            except socket.timeout:
                print('silence')
            """);
        Assert.Equal("refused", result.Trim());
    }

    [Fact]
    public async Task AConnectedSocketLearnsThatLinuxRefusedItsDatagram()
    {
        using var host = new StackHost();
        await using FlowUdpSocket client = host.Stack.CreateUdpSocket();
        client.Connect(new IPEndPoint(IPAddress.Parse(StackHost.HostAddress), 9998));
        await client.SendAsync("is anyone there"u8.ToArray());
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        SocketException refused = await Assert.ThrowsAsync<SocketException>(async () => await client.ReceiveAsync(new byte[100], wait.Token));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task BroadcastsNeedEnableBroadcastAndReachALinuxListener()
    {
        using var host = new StackHost();
        Process listener = host.Host.Begin(Shell.Python, "-u", "-c", """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(('0.0.0.0', 9100))
            s.settimeout(20)
            for _ in range(2):
                data, peer = s.recvfrom(100)
                print(data.decode(), peer[0], flush=True)
            """);
        await Waits.Until(() => host.Host.Exec("ss", "-Huln", "sport = :9100").Contains("9100", StringComparison.Ordinal), "the Linux listener binds 9100");

        await using FlowUdpSocket socket = host.Stack.CreateUdpSocket();
        SocketException denied = await Assert.ThrowsAsync<SocketException>(async () =>
            await socket.SendToAsync("no"u8.ToArray(), new IPEndPoint(IPAddress.Broadcast, 9100)));
        Assert.Equal(SocketError.AccessDenied, denied.SocketErrorCode);

        socket.EnableBroadcast = true;
        await socket.SendToAsync("limited"u8.ToArray(), new IPEndPoint(IPAddress.Broadcast, 9100));
        await socket.SendToAsync("subnet"u8.ToArray(), new IPEndPoint(IPAddress.Parse("10.9.0.255"), 9100));
        Assert.True(listener.WaitForExit(20_000), "the Linux listener did not get both broadcasts");
        string heard = await listener.StandardOutput.ReadToEndAsync();
        Assert.Equal($"limited {StackHost.StackAddress}\nsubnet {StackHost.StackAddress}\n", heard);
    }

    [Fact]
    public async Task ADatagramToTheStacksOwnAddressComesBackThroughLocalDelivery()
    {
        using var host = new StackHost();
        await using FlowUdpSocket receiver = host.Stack.CreateUdpSocket();
        receiver.Bind(new IPEndPoint(IPAddress.Parse(StackHost.StackAddress), 5001));
        await using FlowUdpSocket sender = host.Stack.CreateUdpSocket();
        byte[] data = RandomNumberGenerator.GetBytes(900);
        await sender.SendToAsync(data, new IPEndPoint(IPAddress.Parse(StackHost.StackAddress), 5001));

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using FlowDatagram datagram = await receiver.ReceiveDatagramAsync(wait.Token);
        Assert.Equal(data, datagram.Payload.ToArray());
        Assert.Equal(new IPEndPoint(IPAddress.Parse(StackHost.StackAddress), sender.LocalEndPoint!.Port), datagram.RemoteEndPoint);
    }

    [Fact]
    public async Task SocketsNobodyReadsDoNotTakeThePortsLastFramesAndKeepEveryDatagramIntact()
    {
        // The port's pool has 1 024 frames; three sockets that are not read get 3 000 datagrams.
        using var host = new StackHost();
        var idle = new FlowUdpSocket[3];
        for (int i = 0; i < idle.Length; i++)
        {
            idle[i] = host.Stack.CreateUdpSocket(queueLength: 1024);
            idle[i].Bind(new IPEndPoint(IPAddress.Any, 5001 + i));
        }
        string sent = host.Python($"""
            import socket, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for i in range(3000):
                s.sendto(i.to_bytes(4, 'big') + bytes([i % 251]) * 96, ('{StackHost.StackAddress}', 5001 + i % 3))
                if i % 50 == 49: time.sleep(0.005)
            print('sent')
            """);
        Assert.Equal("sent", sent.Trim());
        UdpReceiveMemory memory = host.Stack.UdpReceiveMemory;
        var deadline = Stopwatch.StartNew();
        while (memory.InPlace + memory.Copied < 3000 && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }
        Assert.Equal(memory.InPlaceLimit, memory.InPlace);
        Assert.Equal(3000 - memory.InPlaceLimit, memory.Copied);

        // The port still receives: an echo server on another socket answers a Linux client.
        await using FlowUdpSocket server = host.Stack.CreateUdpSocket();
        server.Bind(new IPEndPoint(IPAddress.Any, 7));
        using var stop = new CancellationTokenSource(Limit);
        Task echo = EchoAsync(server, stop.Token);
        string answered = host.Python($"""
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(2)
            s.connect(('{StackHost.StackAddress}', 7))
            ok = 0
            for i in range(20):
                s.send(b'still here %d' % i)
                try:
                    ok += s.recv(100) == b'still here %d' % i
                except socket.timeout:
                    pass
            print(ok)
            """);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => echo);
        Assert.Equal("20", answered.Trim());

        // Every datagram is there and intact, in place or copied, in the order it was sent.
        byte[] buffer = new byte[2048];
        for (int s = 0; s < idle.Length; s++)
        {
            for (int k = 0; k < 1000; k++)
            {
                int expected = s + 3 * k;
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                int n = await idle[s].ReceiveAsync(buffer, wait.Token);
                Assert.Equal(100, n);
                Assert.Equal(expected, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(buffer));
                Assert.True(buffer.AsSpan(4, 96).IndexOfAnyExcept((byte)(expected % 251)) < 0, $"datagram {expected} changed");
            }
            Assert.Equal(0, idle[s].ReceiveQueueDrops);
            await idle[s].DisposeAsync();
        }
        Assert.Equal(0, memory.InPlace);
    }

    private static async Task EchoAsync(FlowUdpSocket socket, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[4096];
        while (true)
        {
            SocketReceiveFromResult received = await socket.ReceiveFromAsync(buffer, cancellationToken);
            await socket.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), received.RemoteEndPoint, cancellationToken);
        }
    }
}
