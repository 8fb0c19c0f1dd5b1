using System.Net;
using System.Net.Sockets;
using System.Text;
using Flow.Net.Tcp;
using Xunit;

namespace Flow.Net.Tests.Tcp;

/// <summary>
/// The TCP state machine driven segment by segment with scapy from the Linux host (its kernel's
/// resets for the hand-made connection are dropped by nftables): data ahead of a gap held and
/// reported in SACK blocks, overlapping retransmissions trimmed, resets in and out of sequence.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class TcpScapyTests
{
    internal const int Port = 7000;

    /// <summary>
    /// Handshake from scapy (ISN 1000, SACK-permitted and <paramref name="synOptions"/>), then what
    /// the script does, sniffing the stack's answers on <paramref name="iface"/>; prints what it saw.
    /// </summary>
    internal static string Script(string iface, string body, string synOptions = "") => $$"""
        import random
        from scapy.all import IP, TCP, AsyncSniffer, conf, send, sr1
        conf.verb = 0
        sport = random.randint(40000, 60000)
        ip = IP(dst='{{StackHost.StackAddress}}')
        synack = sr1(ip/TCP(sport=sport, dport={{Port}}, flags='S', seq=1000, window=65535, options=[('MSS', 1460), ('SAckOK', b''){{synOptions}}]), timeout=5)
        assert synack is not None and synack[TCP].flags == 'SA', synack
        theirs = synack[TCP].seq + 1
        send(ip/TCP(sport=sport, dport={{Port}}, flags='A', seq=1001, ack=theirs, window=65535))
        def segment(seq, data, flags='PA'):
            send(ip/TCP(sport=sport, dport={{Port}}, flags=flags, seq=seq, ack=theirs, window=65535)/data)
        def answers(action, count=1, timeout=3):
            sniffer = AsyncSniffer(iface='{{iface}}', filter=f'tcp and src host {{StackHost.StackAddress}} and dst port {sport}', count=count, timeout=timeout)
            sniffer.start()
            import time; time.sleep(0.3)
            action()
            sniffer.join()
            return sniffer.results or []
        {{body}}
        """;

    /// <summary>A listener on <see cref="Port"/> waiting for scapy's connection; the Linux kernel's resets for that hand-made connection are dropped.</summary>
    internal static FlowTcpListener Listen(StackHost host, out Task<FlowTcpStream> accepted)
    {
        host.Host.Exec("nft", "add table inet handmade; add chain inet handmade out { type filter hook output priority 0; }; add rule inet handmade out tcp flags & rst == rst drop");
        FlowTcpListener listener = host.Stack.CreateTcpListener(new IPEndPoint(IPAddress.Any, Port));
        listener.Start();
        accepted = listener.AcceptAsync().AsTask();
        return listener;
    }

    [Fact]
    public async Task DataAheadOfAGapIsHeldReportedInSackAndAnOverlapIsTrimmed()
    {
        using var host = new StackHost();
        using FlowTcpListener listener = Listen(host, out Task<FlowTcpStream> accepted);

        string seen = host.Python(Script(host.Veth.PeerName, """
            gap = answers(lambda: segment(1006, b'world'))
            print('ahead', gap[0][TCP].ack, [o for o in gap[0][TCP].options if o[0] == 'SAck'])
            filled = answers(lambda: segment(1001, b'hello'))
            print('filled', filled[0][TCP].ack)
            overlap = answers(lambda: segment(1009, b'ld!!'))
            print('overlap', overlap[0][TCP].ack)
            """), timeoutSeconds: 60);

        string[] lines = seen.Trim().Split('\n');
        Assert.Equal("ahead 1001 [('SAck', (1006, 1011))]", lines[0]);
        Assert.Equal("filled 1011", lines[1]);
        Assert.Equal("overlap 1013", lines[2]);
        await using FlowTcpStream stream = await accepted.WaitAsync(TimeSpan.FromSeconds(10));
        byte[] buffer = new byte[64];
        var text = new StringBuilder();
        while (text.Length < 12)
        {
            int n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            text.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        Assert.Equal("helloworld!!", text.ToString());
    }

    [Fact]
    public async Task AResetOutOfSequenceGetsAChallengeAckAndOneInSequenceEndsTheConnection()
    {
        using var host = new StackHost();
        using FlowTcpListener listener = Listen(host, out Task<FlowTcpStream> accepted);

        string challenged = host.Python(Script(host.Veth.PeerName, """
            challenge = answers(lambda: segment(1500, b'', flags='R'))
            print('challenge', challenge[0][TCP].flags, challenge[0][TCP].ack if challenge else None)
            """), timeoutSeconds: 60);
        Assert.Equal("challenge A 1001", challenged.Trim());
        await using FlowTcpStream stream = await accepted.WaitAsync(TimeSpan.FromSeconds(10));
        Task<int> read = stream.ReadAsync(new byte[16]).AsTask();
        await Task.Delay(300);
        Assert.False(read.IsCompleted, "an out-of-sequence reset ended the connection");

        // The script's connection is still the accepted one: reset it at RCV.NXT from a fresh
        // scapy run, using the ports the stack saw.
        IPEndPoint peer = stream.RemoteEndPoint;
        host.Python($"""
            from scapy.all import IP, TCP, conf, send
            conf.verb = 0
            send(IP(dst='{StackHost.StackAddress}')/TCP(sport={peer.Port}, dport={Port}, flags='R', seq=1001))
            """);
        IOException reset = await Assert.ThrowsAsync<IOException>(() => read.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(reset.InnerException).SocketErrorCode);
    }
}
