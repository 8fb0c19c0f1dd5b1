using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Flow.Net.Tcp;
using Flow.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace Flow.Net.Tests.Tcp;

/// <summary>
/// TCP on Flow's stack against Linux's TCP in a namespace (<see cref="StackHost"/>): both
/// directions of open, a megabyte each way compared by SHA-256, refused connections both ways,
/// and transfers through random loss (nftables drops; this kernel has no netem).
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class TcpNetnsTests(ITestOutputHelper output)
{
    private const int Megabyte = 1 << 20;

    [Fact]
    public async Task ALinuxClientGetsAMegabyteBackIntactFromAnEchoServerOnTheStack()
    {
        using var host = new StackHost();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        Task server = EchoServerAsync(host.Stack, 7, stop.Token);

        string result = host.Python(LinuxEchoClient(StackHost.StackAddress, 7, Megabyte), timeoutSeconds: 90);
        Assert.Equal($"intact {Megabyte}", result.Trim());
        await stop.CancelAsync();
        await server.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AClientOnTheStackGetsAMegabyteBackIntactFromALinuxEchoServer()
    {
        using var host = new StackHost();
        Process server = host.Host.Begin(Shell.Python, "-c", LinuxEchoServer(9000));
        await Waits.Until(() => host.Host.Exec("ss", "-Htln", "sport = :9000").Contains("9000", StringComparison.Ordinal), "the Linux server listens on 9000");

        await using FlowTcpStream stream = await host.Stack.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse(StackHost.HostAddress), 9000))
            .AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.InRange(stream.LocalEndPoint.Port, TcpTable.FirstEphemeralPort, TcpTable.LastEphemeralPort);
        byte[] data = RandomNumberGenerator.GetBytes(Megabyte);
        byte[] back = await ExchangeAsync(stream, data).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(back));
        Assert.True(server.WaitForExit(10_000), "the Linux server did not see the connection end");
    }

    [Fact]
    public async Task ConnectingToAPortNobodyListensOnIsRefusedBothWays()
    {
        using var host = new StackHost();
        SocketException refused = await Assert.ThrowsAsync<SocketException>(async () =>
            await host.Stack.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse(StackHost.HostAddress), 9999)).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

        string linux = host.Python($"""
            import socket
            s = socket.socket()
            s.settimeout(5)
            try:
                s.connect(('{StackHost.StackAddress}', 9999))
                print('connected')
            except ConnectionRefusedError:
                print('refused')
            """);
        Assert.Equal("refused", linux.Trim());
    }

    /// <summary>
    /// Loss both ways on the Linux host's end: nftables drops that share of the TCP it sends and
    /// receives at random (this kernel has no netem: CONFIG_NET_SCH_NETEM is off; what it sends
    /// is counted before segmentation, so there the share falls on GSO packets and ACKs). A
    /// megabyte each way, compared by SHA-256, both directions of open.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public async Task AMegabyteCrossesIntactBothWaysThroughRandomLoss(int percent)
    {
        using var host = new StackHost();
        host.Python($$"""
            import subprocess
            rules = '''
            table inet loss {
              chain in { type filter hook input priority 0; meta l4proto tcp numgen random mod 100 < {{percent}} counter drop; }
              chain out { type filter hook output priority 0; meta l4proto tcp numgen random mod 100 < {{percent}} counter drop; }
            }
            '''
            subprocess.run(['nft', '-f', '-'], input=rules.encode(), check=True)
            """);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        Task server = EchoServerAsync(host.Stack, 7, stop.Token);
        var watch = Stopwatch.StartNew();
        Assert.Equal($"intact {Megabyte}", host.Python(LinuxEchoClient(StackHost.StackAddress, 7, Megabyte), timeoutSeconds: 120).Trim());
        output.WriteLine($"Linux client, echo on the stack: {watch.Elapsed.TotalSeconds:F1} s");

        Process linuxServer = host.Host.Begin(Shell.Python, "-c", LinuxEchoServer(9000));
        await Waits.Until(() => host.Host.Exec("ss", "-Htln", "sport = :9000").Contains("9000", StringComparison.Ordinal), "the Linux server listens on 9000");
        await using FlowTcpStream stream = await host.Stack.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse(StackHost.HostAddress), 9000))
            .AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        byte[] data = RandomNumberGenerator.GetBytes(Megabyte);
        byte[] back = await ExchangeAsync(stream, data).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(back));
        output.WriteLine($"whole test so far: {watch.Elapsed.TotalSeconds:F1} s");

        TcpTable tcp = host.Stack.Tcp;
        output.WriteLine($"timeouts {tcp.RetransmissionTimeouts}, fast retransmits {tcp.FastRetransmits}, recovery retransmissions {tcp.RecoveryRetransmissions}, tail loss probes {tcp.TailLossProbes}");
        string counters = host.Host.Exec("nft", "list", "table", "inet", "loss");
        output.WriteLine(string.Join(" | ", counters.Split('\n').Where(line => line.Contains("counter", StringComparison.Ordinal)).Select(line => line.Trim())));
        // Flow's segments are dropped one by one on the host's input: its recovery must have run.
        // The host's output chain sees Linux's TCP before segmentation (TCP always builds GSO
        // packets; one is up to 64 KiB) and its ACKs, a few hundred packets a megabyte, so at 1 %
        // it may drop none in a run (it did once in CI-like runs). Segment-by-segment loss of
        // Linux's data is TcpImpairedTests' (a lossy medium between the two).
        long[] dropped = [.. Regex.Matches(counters, @"counter packets (\d+)").Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];
        Assert.Equal(2, dropped.Length);
        Assert.True(dropped[0] > 0, $"the host's input dropped none of Flow's segments: {counters}");
        Assert.True(tcp.RetransmissionTimeouts + tcp.FastRetransmits + tcp.TailLossProbes > 0, "Flow retransmitted nothing through the loss");
        await stop.CancelAsync();
        await server.WaitAsync(TimeSpan.FromSeconds(10));
        linuxServer.WaitForExit(10_000);
    }

    [Fact]
    public async Task KeepAliveKeepsAnAnsweringPeerAndEndsASilentOne()
    {
        using var host = new StackHost();
        Process server = host.Host.Begin(Shell.Python, "-c", """
            import socket, time
            l = socket.socket()
            l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            l.bind(('0.0.0.0', 9001))
            l.listen(1)
            l.settimeout(30)
            c, _ = l.accept()
            time.sleep(40)
            """);
        await Waits.Until(() => host.Host.Exec("ss", "-Htln", "sport = :9001").Contains("9001", StringComparison.Ordinal), "the Linux server listens on 9001");
        await using FlowTcpStream stream = await host.Stack.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse(StackHost.HostAddress), 9001))
            .AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        stream.EnableKeepAlive(TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500), 3);
        Task<int> read = stream.ReadAsync(new byte[16]).AsTask();

        // Linux answers the probes: after several idle periods the connection is still there.
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.False(read.IsCompleted, "the connection ended although its peer answered every keep-alive probe");

        // Now Linux goes silent: the probes go unanswered and the read fails with a timeout.
        host.Host.Exec("nft", "add table inet silent; add chain inet silent in { type filter hook input priority 0; }; add rule inet silent in meta l4proto tcp drop");
        IOException failed = await Assert.ThrowsAsync<IOException>(() => read.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(SocketError.TimedOut, Assert.IsType<SocketException>(failed.InnerException).SocketErrorCode);
        server.Kill();
    }

    [Fact]
    public async Task SocatEchoesBothWays()
    {
        using var host = new StackHost();
        Shell.Require("socat", "socat");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Task server = EchoServerAsync(host.Stack, 7, stop.Token);

        // socat on Linux as the client of the stack's echo server: a file out, the echo back.
        host.Host.Exec("dd", "if=/dev/urandom", "of=/tmp/flow-socat-in", "bs=64K", "count=8", "status=none");
        ShellResult client = host.Host.TryExec(TimeSpan.FromSeconds(30), "bash", "-c",
            $"socat -t 10 - TCP:{StackHost.StackAddress}:7,shut-down < /tmp/flow-socat-in > /tmp/flow-socat-out && cmp /tmp/flow-socat-in /tmp/flow-socat-out && echo same");
        Assert.True(client.ExitCode == 0 && client.StandardOutput.Trim() == "same", client.Output);

        // socat on Linux as the echo server (PIPE) of a client on the stack.
        Process socat = host.Host.Begin("socat", "TCP-LISTEN:9002,reuseaddr", "PIPE");
        await Waits.Until(() => host.Host.Exec("ss", "-Htln", "sport = :9002").Contains("9002", StringComparison.Ordinal), "socat listens on 9002");
        await using FlowTcpStream stream = await host.Stack.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse(StackHost.HostAddress), 9002))
            .AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        byte[] data = RandomNumberGenerator.GetBytes(512 * 1024);
        byte[] back = await ExchangeAsync(stream, data).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(back));
        Assert.True(socat.WaitForExit(10_000), "socat did not end with the connection");
        await stop.CancelAsync();
        await server.WaitAsync(TimeSpan.FromSeconds(10));
        host.Host.Exec("rm", "-f", "/tmp/flow-socat-in", "/tmp/flow-socat-out");
    }

    /// <summary>
    /// 3 000 SYNs from random ports fill a listener's half-open queue (16) many times over — the
    /// Linux host's resets for the stack's SYN-ACKs are dropped, as a spoofing flooder's would
    /// never come — while a real client connects and is echoed: SYN cookies answer what the queue cannot hold.
    /// </summary>
    [Fact]
    public async Task ASynFloodDoesNotStopARealClient()
    {
        using var host = new StackHost();
        host.Host.Exec("nft", "add table inet flood; add chain inet flood out { type filter hook output priority 0; }; add rule inet flood out tcp flags & rst == rst drop");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Task server = EchoServerAsync(host.Stack, 7, stop.Token, backlog: 16);
        Process flood = host.Host.Begin(Shell.Python, "-c", $"""
            from scapy.all import IP, TCP, RandShort, send
            send([IP(dst='{StackHost.StackAddress}')/TCP(sport=RandShort(), dport=7, flags='S', seq=1000) for _ in range(3000)], verbose=0)
            """);
        await Waits.Until(() => host.Stack.Graph.GetStats().Stage("tcp_receive").DroppedFor("syn_cookie") > 100, "the flood fills the half-open queue");

        string echoed = host.Python($"""
            import socket
            s = socket.create_connection(('{StackHost.StackAddress}', 7), timeout=10)
            s.sendall(b'still served')
            print(s.recv(100).decode())
            """, timeoutSeconds: 30);
        Assert.Equal("still served", echoed.Trim());
        flood.WaitForExit(30_000);
        await stop.CancelAsync();
        await server.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Accepts connections and echoes each until its peer finishes, then closes it.</summary>
    internal static async Task EchoServerAsync(FlowStack stack, int port, CancellationToken cancellationToken, int backlog = 128)
    {
        using FlowTcpListener listener = stack.CreateTcpListener(new IPEndPoint(IPAddress.Any, port));
        listener.Start(backlog);
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                FlowTcpStream stream = await listener.AcceptAsync(cancellationToken);
                connections.Add(Task.Run(async () =>
                {
                    await using (stream)
                    {
                        byte[] buffer = new byte[64 * 1024];
                        int n;
                        while ((n = await stream.ReadAsync(buffer, cancellationToken)) > 0)
                        {
                            await stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                        }
                    }
                }, cancellationToken));
            }
        }
        catch (OperationCanceledException)
        {
        }
        await Task.WhenAll(connections);
    }

    /// <summary>Writes <paramref name="data"/> while reading what comes back, shuts down sending, reads to the end.</summary>
    internal static async Task<byte[]> ExchangeAsync(FlowTcpStream stream, byte[] data)
    {
        Task writer = Task.Run(async () =>
        {
            for (int offset = 0; offset < data.Length; offset += 60_000)
            {
                await stream.WriteAsync(data.AsMemory(offset, Math.Min(60_000, data.Length - offset)));
            }
            stream.Shutdown();
        });
        var received = new MemoryStream();
        byte[] buffer = new byte[64 * 1024];
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            received.Write(buffer, 0, n);
        }
        await writer;
        return received.ToArray();
    }

    /// <summary>A Linux client that sends <paramref name="length"/> random bytes, reads the echo to the end and compares.</summary>
    internal static string LinuxEchoClient(string address, int port, int length) => $"""
        import hashlib, os, socket, threading
        data = os.urandom({length})
        s = socket.create_connection(('{address}', {port}), timeout=60)
        def send():
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        t = threading.Thread(target=send)
        t.start()
        got = bytearray()
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        t.join()
        print('intact' if hashlib.sha256(got).digest() == hashlib.sha256(data).digest() else 'corrupt', len(got))
        """;

    /// <summary>A Linux server that echoes one connection until its peer finishes, then closes and exits.</summary>
    internal static string LinuxEchoServer(int port) => $"""
        import socket
        l = socket.socket()
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind(('0.0.0.0', {port}))
        l.listen(1)
        l.settimeout(60)
        c, _ = l.accept()
        c.settimeout(60)
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            c.sendall(chunk)
        c.close()
        """;
}
