using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Flow.Net.Tcp;
using Flow.TestKit;
using Xunit;

namespace Flow.Net.Tests.Tcp;

/// <summary>
/// <see cref="FlowSocket"/>, <see cref="FlowTcpClient"/> and the listener's Socket-style accepts
/// against Linux's TCP in a namespace (<see cref="StackHost"/>): a megabyte each way by SHA-256 in
/// both directions of open, a half close Linux reads as the end while this side still reads, a
/// close with zero linger Linux sees as a reset, options that change what the connection does,
/// and Socket's errors.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class FlowSocketNetnsTests
{
    private const int Megabyte = 1 << 20;
    private static readonly IPAddress s_linux = IPAddress.Parse(StackHost.HostAddress);

    [Fact]
    public async Task AFlowSocketClientExchangesAMegabyteEachWayWithALinuxServer()
    {
        using var host = new StackHost();
        Process server = host.Host.Begin(Shell.Python, "-c", TcpNetnsTests.LinuxEchoServer(9010));
        await ListensAsync(host, 9010);

        using FlowSocket socket = host.Stack.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        Assert.False(socket.Connected);
        await socket.ConnectAsync(s_linux, 9010).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(socket.Connected);
        Assert.Equal(new IPEndPoint(s_linux, 9010), socket.RemoteEndPoint);
        Assert.Equal(IPAddress.Parse(StackHost.StackAddress), ((IPEndPoint)socket.LocalEndPoint!).Address);

        byte[] data = RandomNumberGenerator.GetBytes(Megabyte);
        byte[] back = await ExchangeAsync(socket, data).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(back));
        Assert.True(server.WaitForExit(10_000), "the Linux server did not see the connection end");
    }

    [Fact]
    public async Task AListeningFlowSocketEchoesAMegabyteToALinuxClient()
    {
        using var host = new StackHost();
        using FlowSocket listener = host.Stack.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Any, 7010));
        listener.Listen(16);
        Assert.Equal(7010, ((IPEndPoint)listener.LocalEndPoint!).Port);
        Task<IPEndPoint> server = Task.Run(async () =>
        {
            using FlowSocket connection = await listener.AcceptAsync();
            byte[] buffer = new byte[32 * 1024];
            int n;
            while ((n = await connection.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                await connection.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
            }
            connection.Shutdown(SocketShutdown.Send);
            return (IPEndPoint)connection.RemoteEndPoint!;
        });

        string result = host.Python(TcpNetnsTests.LinuxEchoClient(StackHost.StackAddress, 7010, Megabyte), timeoutSeconds: 90);
        Assert.Equal($"intact {Megabyte}", result.Trim());
        Assert.Equal(s_linux, (await server.WaitAsync(TimeSpan.FromSeconds(10))).Address);
    }

    [Fact]
    public async Task ShutdownOfSendingIsTheEndForLinuxWhileThisSideStillReads()
    {
        using var host = new StackHost();
        Process server = host.Host.Begin(Shell.Python, "-c", """
            import hashlib, socket
            l = socket.socket()
            l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            l.bind(('0.0.0.0', 9011))
            l.listen(1)
            l.settimeout(30)
            c, _ = l.accept()
            c.settimeout(30)
            got = bytearray()
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                got += chunk
            # Only after the end of the stack's data: the answer, then more, then the close.
            c.sendall(('%d %s\n' % (len(got), hashlib.sha256(got).hexdigest())).encode())
            c.sendall(b'x' * 300000)
            c.close()
            """);
        await ListensAsync(host, 9011);
        using FlowSocket socket = host.Stack.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(s_linux, 9011)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        byte[] data = RandomNumberGenerator.GetBytes(200_000);
        Assert.Equal(data.Length, await socket.SendAsync(data, SocketFlags.None));
        socket.Shutdown(SocketShutdown.Send);
        SocketException afterShutdown = await Assert.ThrowsAsync<SocketException>(async () => await socket.SendAsync(new byte[1], SocketFlags.None));
        Assert.Equal(SocketError.Shutdown, afterShutdown.SocketErrorCode);

        byte[] answer = await ReadToEndAsync(socket).WaitAsync(TimeSpan.FromSeconds(30));
        string expected = $"{data.Length} {Convert.ToHexStringLower(SHA256.HashData(data))}\n";
        Assert.Equal(expected.Length + 300_000, answer.Length);
        Assert.Equal(expected, System.Text.Encoding.ASCII.GetString(answer, 0, expected.Length));
        Assert.All(answer.AsSpan(expected.Length).ToArray(), b => Assert.Equal((byte)'x', b));
        Assert.True(server.WaitForExit(10_000), "the Linux server did not end");
    }

    [Fact]
    public async Task ShutdownOfReceivingEndsThisSidesReadsOnly()
    {
        using var host = new StackHost();
        Process server = host.Host.Begin(Shell.Python, "-c", TcpNetnsTests.LinuxEchoServer(9012));
        await ListensAsync(host, 9012);
        using FlowSocket socket = host.Stack.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(s_linux, 9012)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        socket.Shutdown(SocketShutdown.Receive);
        Assert.Equal(0, await socket.ReceiveAsync(new byte[16], SocketFlags.None));
        // Sending still works: the echo server gets it (and its echo is not read).
        Assert.Equal(5, await socket.SendAsync("hello"u8.ToArray(), SocketFlags.None));
        socket.Shutdown(SocketShutdown.Send);
        Assert.True(server.WaitForExit(10_000), "the Linux server did not see the end of sending");
    }

    [Fact]
    public async Task CloseWithoutLingerIsAResetForLinux()
    {
        using var host = new StackHost();
        Process server = host.Host.Begin(Shell.Python, "-c", """
            import socket
            l = socket.socket()
            l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            l.bind(('0.0.0.0', 9013))
            l.listen(1)
            l.settimeout(30)
            c, _ = l.accept()
            c.settimeout(30)
            got = 0
            try:
                while True:
                    chunk = c.recv(65536)
                    if not chunk:
                        print('end', got)
                        break
                    got += len(chunk)
                    if got == 9:
                        c.sendall(b'k')
            except ConnectionResetError:
                print('reset', got)
            """);
        await ListensAsync(host, 9013);
        var socket = host.Stack.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(s_linux, 9013)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await socket.SendAsync("some data"u8.ToArray(), SocketFlags.None);
        // Linux has read the data (its answer says so) before the reset goes.
        Assert.Equal(1, await socket.ReceiveAsync(new byte[1], SocketFlags.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        socket.Close(0);
        Assert.False(socket.Connected);

        string output = await server.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("reset 9", output.Trim());
    }

    [Fact]
    public async Task TheLingerOptionAtZeroMakesCloseAResetAndAPlainCloseIsAnEnd()
    {
        using var host = new StackHost();
        using FlowSocket listener = host.Stack.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Any, 7011));
        listener.Listen();
        string script = $"""
            import socket
            for _ in range(2):
                s = socket.create_connection(('{StackHost.StackAddress}', 7011), timeout=20)
                try:
                    print('end' if s.recv(100) == b'' else 'data')
                except ConnectionResetError:
                    print('reset')
                s.close()
            """;
        Task<string> client = Task.Run(() => host.Python(script, timeoutSeconds: 60));
        FlowSocket first = await listener.AcceptAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        first.LingerState = new LingerOption(true, 0);
        first.Close();
        FlowSocket second = await listener.AcceptAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        second.Close();
        Assert.Equal(new[] { "reset", "end" }, (await client.WaitAsync(TimeSpan.FromSeconds(60))).Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task OptionsRoundTripAndReachTheConnection()
    {
        using var host = new StackHost();
        using FlowSocket socket = host.Stack.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 1);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 1);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 2);
        socket.ReceiveBufferSize = 40_000;
        socket.SendBufferSize = 8192;
        Assert.True(socket.NoDelay);
        Assert.True((bool)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive));
        Assert.Equal(1, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime));
        Assert.Equal(2, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount));
        Assert.Equal(65536, socket.ReceiveBufferSize);
        Assert.Equal(8192, socket.SendBufferSize);
        Assert.Equal(SocketError.ProtocolOption, Assert.Throws<SocketException>(() => socket.GetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive)).SocketErrorCode);
        Assert.Equal(SocketError.InvalidArgument, Assert.Throws<SocketException>(() => socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 0)).SocketErrorCode);

        Process server = host.Host.Begin(Shell.Python, "-c", """
            import socket, time
            l = socket.socket()
            l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            l.bind(('0.0.0.0', 9014))
            l.listen(1)
            l.settimeout(30)
            c, _ = l.accept()
            time.sleep(40)
            """);
        await ListensAsync(host, 9014);
        await socket.ConnectAsync(new IPEndPoint(s_linux, 9014)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(socket.Stream!.NoDelay);
        Assert.Equal(65536, socket.Stream.Connection.Receive.Capacity);
        Assert.Equal(8192, socket.Stream.Connection.Send.Capacity);
        Assert.Equal(SocketError.OperationNotSupported, Assert.Throws<SocketException>(() => socket.ReceiveBufferSize = 1 << 20).SocketErrorCode);
        socket.NoDelay = false;
        Assert.False(socket.Stream.NoDelay);

        // Keep-alive after 1 s, every 1 s, 2 probes: Linux answers them, then goes silent and the receive times out.
        Task<int> read = socket.ReceiveAsync(new byte[16], SocketFlags.None).AsTask();
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.False(read.IsCompleted, "the connection ended although Linux answered every keep-alive probe");
        host.Host.Exec("nft", "add table inet silent; add chain inet silent in { type filter hook input priority 0; }; add rule inet silent in meta l4proto tcp drop");
        SocketException timedOut = await Assert.ThrowsAsync<SocketException>(() => read.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(SocketError.TimedOut, timedOut.SocketErrorCode);
        server.Kill();
    }

    [Fact]
    public async Task SocketErrorsAreTheOnesSocketGives()
    {
        using var host = new StackHost();
        using FlowSocket refused = host.Stack.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        SocketException e = await Assert.ThrowsAsync<SocketException>(async () =>
            await refused.ConnectAsync(new IPEndPoint(s_linux, 9999)).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        Assert.False(refused.Connected);

        using FlowSocket idle = host.Stack.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await idle.AcceptAsync());
        // Linux: send and sendto on an unconnected TCP socket are EPIPE (.NET's Shutdown), recv and shutdown ENOTCONN.
        Assert.Equal(SocketError.Shutdown, (await Assert.ThrowsAsync<SocketException>(async () => await idle.SendAsync(new byte[1], SocketFlags.None))).SocketErrorCode);
        Assert.Equal(SocketError.Shutdown, (await Assert.ThrowsAsync<SocketException>(async () =>
            await idle.SendToAsync(new byte[1], SocketFlags.None, new IPEndPoint(s_linux, 9)))).SocketErrorCode);
        Assert.Equal(SocketError.NotConnected, (await Assert.ThrowsAsync<SocketException>(async () => await idle.ReceiveAsync(new byte[1], SocketFlags.None))).SocketErrorCode);
        Assert.Equal(SocketError.NotConnected, Assert.Throws<SocketException>(() => idle.Shutdown(SocketShutdown.Both)).SocketErrorCode);
        Assert.Equal(SocketError.AddressNotAvailable, Assert.Throws<SocketException>(() => idle.Bind(new IPEndPoint(IPAddress.Parse("10.9.0.77"), 80))).SocketErrorCode);
        Assert.Equal(SocketError.ProtocolNotSupported, Assert.Throws<SocketException>(() => host.Stack.CreateSocket(SocketType.Stream, ProtocolType.Udp)).SocketErrorCode);

        using FlowSocket listening = host.Stack.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        listening.Listen();
        int port = ((IPEndPoint)listening.LocalEndPoint!).Port;
        Assert.InRange(port, TcpTable.FirstEphemeralPort, TcpTable.LastEphemeralPort);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await listening.ConnectAsync(new IPEndPoint(s_linux, 9)));
        using FlowSocket taken = host.Stack.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        Assert.Equal(SocketError.AddressAlreadyInUse, Assert.Throws<SocketException>(() => taken.Bind(new IPEndPoint(IPAddress.Any, port))).SocketErrorCode);

        // A connected socket connects no more; Linux reaches the port Listen picked.
        Task<FlowSocket> accepted = listening.AcceptAsync().AsTask();
        Process client = host.Host.Begin(Shell.Python, "-c", $"""
            import socket, time
            s = socket.create_connection(('{StackHost.StackAddress}', {port}), timeout=10)
            time.sleep(5)
            """);
        using FlowSocket connection = await accepted.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(SocketError.IsConnected, (await Assert.ThrowsAsync<SocketException>(async () => await connection.ConnectAsync(new IPEndPoint(s_linux, 9)))).SocketErrorCode);
        client.Kill();
    }

    [Fact]
    public async Task TcpClientAndAcceptTcpClientWorkAsTheirKernelNamesakes()
    {
        using var host = new StackHost();
        using FlowTcpListener listener = host.Stack.CreateTcpListener(new IPEndPoint(IPAddress.Any, 7012));
        Assert.Throws<InvalidOperationException>(() => listener.Pending());
        listener.Start();
        Assert.False(listener.Pending());
        Assert.Equal(7012, ((IPEndPoint)listener.LocalEndpoint).Port);

        Task<string> linux = Task.Run(() => host.Python($"""
            import socket
            s = socket.create_connection(('{StackHost.StackAddress}', 7012), timeout=20)
            s.sendall(b'ping from linux')
            print(s.recv(100).decode())
            """, timeoutSeconds: 40));
        await Waits.Until(listener.Pending, "the Linux client's connection waits to be accepted");
        using (FlowTcpClient accepted = await listener.AcceptTcpClientAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)))
        {
            Assert.True(accepted.Connected);
            FlowTcpStream stream = accepted.GetStream();
            byte[] buffer = new byte[64];
            int n = await ReadAtLeastAsync(stream, buffer, 15);
            Assert.Equal("ping from linux", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
            await stream.WriteAsync("pong from flow"u8.ToArray());
        }
        Assert.Equal("pong from flow", (await linux.WaitAsync(TimeSpan.FromSeconds(40))).Trim());

        Process server = host.Host.Begin(Shell.Python, "-c", TcpNetnsTests.LinuxEchoServer(9015));
        await ListensAsync(host, 9015);
        using var client = new FlowTcpClient(host.Stack);
        Assert.Throws<InvalidOperationException>(() => client.GetStream());
        client.NoDelay = true;
        await client.ConnectAsync(s_linux, 9015).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(client.Connected);
        Assert.True(client.GetStream().NoDelay);
        byte[] data = RandomNumberGenerator.GetBytes(Megabyte);
        byte[] back = await ExchangeAsync(client.Client, data).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(back));
        client.Close();
        Assert.False(client.Connected);
        Assert.True(server.WaitForExit(10_000), "the Linux server did not see the connection end");
    }

    [Fact]
    public async Task ASocketBoundBeforeItConnectsKeepsItsPortAndASecondBindOnThatPortIsRefused()
    {
        using var host = new StackHost();
        Process server = host.Host.Begin(Shell.Python, "-c", TcpNetnsTests.LinuxEchoServer(9016));
        await ListensAsync(host, 9016);
        var local = new IPEndPoint(IPAddress.Parse(StackHost.StackAddress), 40001);

        using FlowSocket socket = host.Stack.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(local);
        await socket.ConnectAsync(s_linux, 9016).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(local, socket.LocalEndPoint);
        Assert.Contains($"{StackHost.StackAddress}:40001", host.Host.Exec("ss", "-Htn", "sport = :9016"), StringComparison.Ordinal);
        using FlowSocket second = host.Stack.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        Assert.Equal(SocketError.AddressAlreadyInUse, Assert.Throws<SocketException>(() => second.Bind(local)).SocketErrorCode);
        byte[] data = RandomNumberGenerator.GetBytes(4096);
        byte[] back = await ExchangeAsync(socket, data).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(data, back);
        Assert.True(server.WaitForExit(10_000), "the Linux server did not see the connection end");
    }

    [Fact]
    public async Task BindHoldsItsPortUntilCloseAgainstSocketsListenersAndConnections()
    {
        using var host = new StackHost();
        // Port 0: a free ephemeral port, picked at Bind as Linux does; nobody else may bind it until Close.
        FlowSocket first = host.Stack.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        first.Bind(new IPEndPoint(IPAddress.Any, 0));
        int port = ((IPEndPoint)first.LocalEndPoint!).Port;
        Assert.InRange(port, TcpTable.FirstEphemeralPort, TcpTable.LastEphemeralPort);
        using FlowSocket second = host.Stack.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        Assert.Equal(SocketError.AddressAlreadyInUse, Assert.Throws<SocketException>(() => second.Bind(new IPEndPoint(IPAddress.Any, port))).SocketErrorCode);
        using (FlowTcpListener clash = host.Stack.CreateTcpListener(new IPEndPoint(IPAddress.Any, port)))
        {
            Assert.Equal(SocketError.AddressAlreadyInUse, Assert.Throws<SocketException>(() => clash.Start()).SocketErrorCode);
        }
        first.Close();
        second.Bind(new IPEndPoint(IPAddress.Any, port));
        second.Listen();
        Assert.Equal(port, ((IPEndPoint)second.LocalEndPoint!).Port);

        // A listener started on its own holds its port while it listens.
        using (FlowTcpListener listener = host.Stack.CreateTcpListener(new IPEndPoint(IPAddress.Any, 7013)))
        {
            listener.Start();
            using FlowSocket refused = host.Stack.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
            Assert.Equal(SocketError.AddressAlreadyInUse, Assert.Throws<SocketException>(() => refused.Bind(new IPEndPoint(IPAddress.Any, 7013))).SocketErrorCode);
        }
        using (FlowSocket after = host.Stack.CreateSocket(SocketType.Stream, ProtocolType.Tcp))
        {
            after.Bind(new IPEndPoint(IPAddress.Any, 7013));
        }

        // An active open's ephemeral port is held by its connection (TIME-WAIT included).
        Process server = host.Host.Begin(Shell.Python, "-c", TcpNetnsTests.LinuxEchoServer(9017));
        await ListensAsync(host, 9017);
        using FlowSocket client = host.Stack.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(s_linux, 9017).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        int clientPort = ((IPEndPoint)client.LocalEndPoint!).Port;
        using FlowSocket onClientPort = host.Stack.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        Assert.Equal(SocketError.AddressAlreadyInUse, Assert.Throws<SocketException>(() => onClientPort.Bind(new IPEndPoint(IPAddress.Any, clientPort))).SocketErrorCode);
        byte[] back = await ExchangeAsync(client, "bound"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("bound"u8.ToArray(), back);
        Assert.True(server.WaitForExit(10_000), "the Linux server did not see the connection end");
    }

    private static Task ListensAsync(StackHost host, int port) =>
        Waits.Until(() => host.Host.Exec("ss", "-Htln", $"sport = :{port}").Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal),
            $"the Linux server listens on {port}");

    /// <summary>Sends <paramref name="data"/> while receiving what comes back, shuts down sending, receives to the end.</summary>
    private static async Task<byte[]> ExchangeAsync(FlowSocket socket, byte[] data)
    {
        Task writer = Task.Run(async () =>
        {
            for (int offset = 0; offset < data.Length; offset += 50_000)
            {
                await socket.SendAsync(data.AsMemory(offset, Math.Min(50_000, data.Length - offset)), SocketFlags.None);
            }
            socket.Shutdown(SocketShutdown.Send);
        });
        byte[] received = await ReadToEndAsync(socket);
        await writer;
        return received;
    }

    private static async Task<byte[]> ReadToEndAsync(FlowSocket socket)
    {
        var received = new MemoryStream();
        byte[] buffer = new byte[48 * 1024];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            received.Write(buffer, 0, n);
        }
        return received.ToArray();
    }

    private static async Task<int> ReadAtLeastAsync(Stream stream, byte[] buffer, int count)
    {
        int total = 0;
        while (total < count)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(total));
            Assert.True(n > 0, "the stream ended early");
            total += n;
        }
        return total;
    }
}
