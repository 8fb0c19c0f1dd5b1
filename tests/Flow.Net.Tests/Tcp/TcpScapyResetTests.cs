using System.Net;
using System.Net.Sockets;
using Flow.Net.Tcp;
using Flow.TestKit;
using Xunit;

namespace Flow.Net.Tests.Tcp;

/// <summary>
/// A reset in every state of RFC 9293 3.3.2: scapy on the Linux host drives a connection of the
/// stack into the state (the test moves the stack's side through the API between scapy's steps),
/// sends a RST, and reports what the stack sent back; the test checks that and what the API says.
/// A keep-alive-style probe (an ACK one byte below RCV.NXT) tells a live connection (it answers
/// with an ACK, RFC 9293 3.10.7.4) from one that is gone (it answers with a reset, 3.10.7.1). The
/// Linux kernel's own resets for the hand-made connections are dropped by nftables.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class TcpScapyResetTests
{
    private const int Port = 7001;
    private const int LinuxPort = 9100;

    /// <summary>
    /// scapy's side: our ISN is 1000; <c>show</c> prints each segment the stack sent as
    /// flags/seq/ack, its seq relative to the stack's ISS; <c>answers</c> keeps what the stack sent
    /// from the moment of scapy's action on (a retransmission already under way is not an answer);
    /// <c>step</c> waits for the test.
    /// </summary>
    private static string Prelude(string iface) => $$"""
        import random, sys, time
        from scapy.all import IP, TCP, AsyncSniffer, conf, send, sr1
        conf.verb = 0
        sport = random.randint(40000, 60000)
        ip = IP(dst='{{StackHost.StackAddress}}')
        def step(name):
            print('STEP', name, flush=True)
            sys.stdin.readline()
        def segment(seq, ack, flags, data=b''):
            send(ip/TCP(sport=sport, dport={{Port}}, flags=flags, seq=seq, ack=ack, window=65535)/data)
        def answers(action, count=0, timeout=2.0, port=None):
            port = port or sport
            sniffer = AsyncSniffer(iface='{{iface}}', filter=f'tcp and src host {{StackHost.StackAddress}} and dst port {port}', count=count, timeout=timeout)
            sniffer.start()
            time.sleep(0.3)
            acted = time.time()
            action()
            sniffer.join()
            return [p for p in sniffer.results or [] if p.time >= acted]
        def show(label, got, iss):
            print(label, ' '.join(f'{p[TCP].flags}/{(p[TCP].seq - iss) % 2**32}/{p[TCP].ack}' for p in got) or 'nothing', flush=True)
        def connect():
            synack = sr1(ip/TCP(sport=sport, dport={{Port}}, flags='S', seq=1000, window=65535, options=[('MSS', 1460)]), timeout=5)
            assert synack is not None and synack[TCP].flags == 'SA', synack
            segment(1001, synack[TCP].seq + 1, 'A')
            return synack[TCP].seq

        """;

    [Fact]
    public async Task AResetInSynReceivedDropsTheHalfOpenConnectionAndTheListenerStillAccepts()
    {
        using var host = Host();
        using FlowTcpListener listener = Listen(host);
        Task<FlowTcpStream> accepted = listener.AcceptAsync().AsTask();

        Dictionary<string, string> seen = await RunAsync(host, """
            synack = sr1(ip/TCP(sport=sport, dport=7001, flags='S', seq=1000, window=65535, options=[('MSS', 1460)]), timeout=5)
            iss = synack[TCP].seq
            show('after-rst', answers(lambda: segment(1001, 0, 'R'), timeout=2.5), iss)
            show('late-ack', answers(lambda: segment(1001, iss + 1, 'A'), count=1), iss)
            """);

        // Without the reset the SYN-ACK would come again within the 1 s initial RTO.
        Assert.Equal("nothing", seen["after-rst"]);
        Assert.Equal("R/1/0", seen["late-ack"]);
        Assert.False(accepted.IsCompleted, "the listener accepted a connection reset in SYN-RECEIVED");
        host.Python($"""
            import socket
            s = socket.create_connection(('{StackHost.StackAddress}', {Port}), timeout=10)
            s.sendall(b'later')
            s.close()
            """);
        await using FlowTcpStream stream = await accepted.WaitAsync(TimeSpan.FromSeconds(10));
        byte[] buffer = new byte[16];
        int n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("later", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
    }

    [Fact]
    public async Task InSynSentAResetAckingOurSynRefusesTheConnectAndOneWithABadAckIsIgnored()
    {
        using var host = Host();
        // The Linux kernel must not answer the stack's SYN itself: scapy does.
        host.Host.Exec("nft", $"add table inet handmade; add chain inet handmade in {{ type filter hook input priority 0; }}; add rule inet handmade in tcp dport {LinuxPort} drop");

        using CapturedProcess peer = StartPeer(host, $$"""
            syns = AsyncSniffer(iface='{{host.Veth.PeerName}}', filter='tcp and src host {{StackHost.StackAddress}} and dst port {{LinuxPort}}', count=1, timeout=10)
            syns.start()
            time.sleep(0.3)
            step('listening')
            syns.join()
            syn = syns.results[0]
            iss = syn[TCP].seq
            print('syn', syn[TCP].flags, flush=True)
            def reset(ack):
                send(IP(dst='{{StackHost.StackAddress}}')/TCP(sport={{LinuxPort}}, dport=syn[TCP].sport, flags='RA', seq=0, ack=ack))
            show('bad-ack', answers(lambda: reset(iss + 5), timeout=1.0, port={{LinuxPort}}), iss)
            step('bad-ack-sent')
            show('good-ack', answers(lambda: reset(iss + 1), timeout=1.5, port={{LinuxPort}}), iss)
            """);
        await ReachStepAsync(peer, "listening");
        Task<FlowTcpStream> connect = host.Stack.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse(StackHost.HostAddress), LinuxPort)).AsTask();
        peer.WriteLine("go");
        await ReachStepAsync(peer, "bad-ack-sent");
        Assert.False(connect.IsCompleted, "a reset whose ACK does not acknowledge our SYN ended the connect");
        peer.WriteLine("go");
        SocketException refused = await Assert.ThrowsAsync<SocketException>(() => connect.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        Dictionary<string, string> seen = await FinishAsync(peer);

        Assert.Equal("S", seen["syn"]);
        // RFC 9293 3.10.7.3: a reset with an unacceptable ACK is dropped; the SYN may come again.
        Assert.All(Packets(seen["bad-ack"]), p => Assert.StartsWith("S/0/", p, StringComparison.Ordinal));
        Assert.Equal("nothing", seen["good-ack"]);
    }

    [Fact]
    public async Task InEstablishedOnlyAnExactResetEndsTheConnectionOneInTheWindowIsChallengedOneOutsideIgnored()
    {
        using var host = Host();
        using FlowTcpListener listener = Listen(host);
        Task<FlowTcpStream> accepted = listener.AcceptAsync().AsTask();

        using CapturedProcess peer = StartPeer(host, """
            iss = connect()
            show('outside', answers(lambda: segment(1001 + 0x40000000, 0, 'R'), timeout=1.0), iss)
            show('inside', answers(lambda: segment(1001 + 100, 0, 'R'), count=1), iss)
            segment(1001, iss + 1, 'PA', b'alive')
            step('data-sent')
            show('exact', answers(lambda: segment(1006, 0, 'R'), timeout=1.0), iss)
            show('probe', answers(lambda: segment(1005, iss + 1, 'A'), count=1), iss)
            """);
        await ReachStepAsync(peer, "data-sent");
        await using FlowTcpStream stream = await accepted.WaitAsync(TimeSpan.FromSeconds(10));
        byte[] buffer = new byte[16];
        int n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("alive", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
        Task<int> read = stream.ReadAsync(buffer).AsTask();
        peer.WriteLine("go");
        await AssertResetAsync(read);
        Dictionary<string, string> seen = await FinishAsync(peer);

        // RFC 5961 3.2 (RFC 9293 3.10.7.4): outside the window dropped silently; inside but not at
        // RCV.NXT answered with a challenge ACK; at RCV.NXT the connection is reset, silently.
        Assert.Equal("nothing", seen["outside"]);
        Assert.Equal("A/1/1001", seen["inside"]);
        Assert.Equal("nothing", seen["exact"]);
        Assert.Equal("R/1/0", seen["probe"]);
    }

    /// <summary>The stack closes first and scapy never acknowledges its FIN.</summary>
    [Fact]
    public async Task AResetInFinWait1EndsTheConnectionAndItsFinRetransmissions()
    {
        using var host = Host();
        using FlowTcpListener listener = Listen(host);
        Task<FlowTcpStream> accepted = listener.AcceptAsync().AsTask();

        using CapturedProcess peer = StartPeer(host, """
            iss = connect()
            show('fin', answers(lambda: step('established'), count=1, timeout=5), iss)
            show('probe-before', answers(lambda: segment(1000, iss + 1, 'A'), count=1), iss)
            show('after-rst', answers(lambda: segment(1001, 0, 'R'), timeout=2.0), iss)
            show('probe', answers(lambda: segment(1000, iss + 1, 'A'), count=1), iss)
            """);
        await ReachStepAsync(peer, "established");
        await using FlowTcpStream stream = await accepted.WaitAsync(TimeSpan.FromSeconds(10));
        Task<int> read = stream.ReadAsync(new byte[16]).AsTask();
        stream.Shutdown();
        peer.WriteLine("go");
        await AssertResetAsync(read);
        Dictionary<string, string> seen = await FinishAsync(peer);

        Assert.Equal("FA/1/1001", seen["fin"]);
        Assert.Contains("A/2/1001", Packets(seen["probe-before"]));
        Assert.Equal("nothing", seen["after-rst"]);
        Assert.Equal("R/1/0", seen["probe"]);
    }

    /// <summary>The stack closes first, scapy acknowledges its FIN and keeps its own side open.</summary>
    [Fact]
    public async Task AResetInFinWait2FailsTheReaderWithConnectionReset()
    {
        using var host = Host();
        using FlowTcpListener listener = Listen(host);
        Task<FlowTcpStream> accepted = listener.AcceptAsync().AsTask();

        using CapturedProcess peer = StartPeer(host, """
            iss = connect()
            show('fin', answers(lambda: step('established'), count=1, timeout=5), iss)
            segment(1001, iss + 2, 'A')
            show('probe-before', answers(lambda: segment(1000, iss + 2, 'A'), count=1), iss)
            show('after-rst', answers(lambda: segment(1001, 0, 'R'), timeout=1.0), iss)
            show('probe', answers(lambda: segment(1000, iss + 2, 'A'), count=1), iss)
            """);
        await ReachStepAsync(peer, "established");
        await using FlowTcpStream stream = await accepted.WaitAsync(TimeSpan.FromSeconds(10));
        Task<int> read = stream.ReadAsync(new byte[16]).AsTask();
        stream.Shutdown();
        peer.WriteLine("go");
        await AssertResetAsync(read);
        Dictionary<string, string> seen = await FinishAsync(peer);

        Assert.Equal("FA/1/1001", seen["fin"]);
        Assert.Equal("A/2/1001", seen["probe-before"]);
        Assert.Equal("nothing", seen["after-rst"]);
        Assert.Equal("R/2/0", seen["probe"]);
    }

    /// <summary>scapy closes first; the stack's reader has seen the end and its writer then sees the reset.</summary>
    [Fact]
    public async Task AResetInCloseWaitFailsTheWriterWithConnectionReset()
    {
        using var host = Host();
        using FlowTcpListener listener = Listen(host);
        Task<FlowTcpStream> accepted = listener.AcceptAsync().AsTask();

        using CapturedProcess peer = StartPeer(host, """
            iss = connect()
            show('fin-acked', answers(lambda: segment(1001, iss + 1, 'FA'), count=1), iss)
            step('finished')
            show('probe-before', answers(lambda: segment(1001, iss + 1, 'A'), count=1), iss)
            show('after-rst', answers(lambda: segment(1002, 0, 'R'), timeout=1.0), iss)
            show('probe', answers(lambda: segment(1001, iss + 1, 'A'), count=1), iss)
            """);
        await ReachStepAsync(peer, "finished");
        await using FlowTcpStream stream = await accepted.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, await stream.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        peer.WriteLine("go");
        Dictionary<string, string> seen = await FinishAsync(peer);
        IOException failed = await Assert.ThrowsAsync<IOException>(() => stream.WriteAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(failed.InnerException).SocketErrorCode);

        Assert.Equal("A/1/1002", seen["fin-acked"]);
        Assert.Equal("A/1/1002", seen["probe-before"]);
        Assert.Equal("nothing", seen["after-rst"]);
        Assert.Equal("R/1/0", seen["probe"]);
    }

    /// <summary>Both close at once: scapy's FIN crosses the stack's, which scapy never acknowledges.</summary>
    [Fact]
    public async Task AResetInClosingEndsTheConnectionAndItsFinRetransmissions()
    {
        using var host = Host();
        using FlowTcpListener listener = Listen(host);
        Task<FlowTcpStream> accepted = listener.AcceptAsync().AsTask();

        using CapturedProcess peer = StartPeer(host, """
            iss = connect()
            show('fin', answers(lambda: step('established'), count=1, timeout=5), iss)
            show('crossing', answers(lambda: segment(1001, iss + 1, 'FA'), count=1), iss)
            show('probe-before', answers(lambda: segment(1001, iss + 1, 'A'), count=1), iss)
            show('after-rst', answers(lambda: segment(1002, 0, 'R'), timeout=2.0), iss)
            show('probe', answers(lambda: segment(1001, iss + 1, 'A'), count=1), iss)
            """);
        await ReachStepAsync(peer, "established");
        await using FlowTcpStream stream = await accepted.WaitAsync(TimeSpan.FromSeconds(10));
        stream.Shutdown();
        peer.WriteLine("go");
        Dictionary<string, string> seen = await FinishAsync(peer);
        Assert.Equal(0, await stream.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal("FA/1/1001", seen["fin"]);
        Assert.Equal("A/2/1002", seen["crossing"]);
        Assert.Contains("A/2/1002", Packets(seen["probe-before"]));
        Assert.Equal("nothing", seen["after-rst"]);
        Assert.Equal("R/1/0", seen["probe"]);
    }

    /// <summary>scapy closes first, the stack answers with its FIN, which scapy never acknowledges.</summary>
    [Fact]
    public async Task AResetInLastAckEndsTheConnectionAndItsFinRetransmissions()
    {
        using var host = Host();
        using FlowTcpListener listener = Listen(host);
        Task<FlowTcpStream> accepted = listener.AcceptAsync().AsTask();

        using CapturedProcess peer = StartPeer(host, """
            iss = connect()
            show('fin-acked', answers(lambda: segment(1001, iss + 1, 'FA'), count=1), iss)
            show('fin', answers(lambda: step('finished'), count=1, timeout=5), iss)
            show('probe-before', answers(lambda: segment(1001, iss + 1, 'A'), count=1), iss)
            show('after-rst', answers(lambda: segment(1002, 0, 'R'), timeout=2.0), iss)
            show('probe', answers(lambda: segment(1001, iss + 1, 'A'), count=1), iss)
            """);
        await ReachStepAsync(peer, "finished");
        await using FlowTcpStream stream = await accepted.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, await stream.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        stream.Shutdown();
        peer.WriteLine("go");
        Dictionary<string, string> seen = await FinishAsync(peer);

        Assert.Equal("A/1/1002", seen["fin-acked"]);
        Assert.Equal("FA/1/1002", seen["fin"]);
        Assert.Contains("A/2/1002", Packets(seen["probe-before"]));
        Assert.Equal("nothing", seen["after-rst"]);
        Assert.Equal("R/1/0", seen["probe"]);
    }

    /// <summary>
    /// The stack closes first and both FINs are acknowledged. RFC 1337 (TIME-WAIT assassination)
    /// recommends ignoring a reset in TIME-WAIT; Linux by default does not (net.ipv4.tcp_rfc1337=0:
    /// tcp_timewait_state_process ends the TIME-WAIT socket on an in-window RST), and neither does
    /// the stack: the reset ends TIME-WAIT, so a later segment of the old connection is reset.
    /// </summary>
    [Fact]
    public async Task AResetInTimeWaitEndsItAsLinuxDoesByDefault()
    {
        using var host = Host();
        using FlowTcpListener listener = Listen(host);
        Task<FlowTcpStream> accepted = listener.AcceptAsync().AsTask();

        using CapturedProcess peer = StartPeer(host, """
            iss = connect()
            show('fin', answers(lambda: step('established'), count=1, timeout=5), iss)
            show('fin-acked', answers(lambda: segment(1001, iss + 2, 'FA'), count=1), iss)
            show('probe-before', answers(lambda: segment(1001, iss + 2, 'A'), count=1), iss)
            show('after-rst', answers(lambda: segment(1002, 0, 'R'), timeout=1.0), iss)
            show('probe', answers(lambda: segment(1001, iss + 2, 'A'), count=1), iss)
            """);
        await ReachStepAsync(peer, "established");
        await using FlowTcpStream stream = await accepted.WaitAsync(TimeSpan.FromSeconds(10));
        stream.Shutdown();
        peer.WriteLine("go");
        Dictionary<string, string> seen = await FinishAsync(peer);
        Assert.Equal(0, await stream.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal("FA/1/1001", seen["fin"]);
        Assert.Equal("A/2/1002", seen["fin-acked"]);
        Assert.Equal("A/2/1002", seen["probe-before"]);
        Assert.Equal("nothing", seen["after-rst"]);
        Assert.Equal("R/2/0", seen["probe"]);
    }

    private static StackHost Host()
    {
        var host = new StackHost();
        Shell.Require("nft", "nftables");
        return host;
    }

    /// <summary>A listener on <see cref="Port"/>; the Linux kernel's resets for scapy's connections are dropped.</summary>
    private static FlowTcpListener Listen(StackHost host)
    {
        host.Host.Exec("nft", "add table inet handmade; add chain inet handmade out { type filter hook output priority 0; }; add rule inet handmade out tcp flags & rst == rst drop");
        FlowTcpListener listener = host.Stack.CreateTcpListener(new IPEndPoint(IPAddress.Any, Port));
        listener.Start();
        return listener;
    }

    private static CapturedProcess StartPeer(StackHost host, string body) =>
        CapturedProcess.Start("ip", ["netns", "exec", host.Host.Name, "timeout", "60", Shell.Python, "-u", "-c", Prelude(host.Veth.PeerName) + body], withInput: true);

    /// <summary>Runs a script that needs no step from the test; returns what it showed.</summary>
    private static async Task<Dictionary<string, string>> RunAsync(StackHost host, string body)
    {
        using CapturedProcess peer = StartPeer(host, body);
        return await FinishAsync(peer);
    }

    private static async Task ReachStepAsync(CapturedProcess peer, string name)
    {
        await Waits.Until(() => peer.Stdout.Contains($"STEP {name}\n", StringComparison.Ordinal) || peer.HasExited, () => $"scapy reaches step {name}: {peer.Output}");
        Assert.False(peer.HasExited, $"scapy ended before step {name}: {peer.Output}");
    }

    /// <summary>Waits for scapy to end; its shown lines by label.</summary>
    private static async Task<Dictionary<string, string>> FinishAsync(CapturedProcess peer)
    {
        int exit = await peer.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(exit == 0, $"scapy failed ({exit}): {peer.Output}");
        return peer.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith("STEP ", StringComparison.Ordinal))
            .Select(l => l.Split(' ', 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");
    }

    private static string[] Packets(string shown) => shown == "nothing" ? [] : shown.Split(' ');

    private static async Task AssertResetAsync(Task<int> read)
    {
        IOException reset = await Assert.ThrowsAsync<IOException>(() => read.WaitAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(reset.InnerException).SocketErrorCode);
    }
}
