using System.Net;
using System.Text;
using Flow.Net.Tcp;
using Xunit;

namespace Flow.Net.Tests.Tcp;

/// <summary>
/// Timestamps, loss recovery and TIME-WAIT driven segment by segment with scapy (see
/// <see cref="TcpScapyTests"/>): the timestamp echoed and an old one refused (RFC 7323), SACK's
/// holes sent again and nothing else (RFC 6675), a new SYN taking over a connection in TIME-WAIT
/// (RFC 6191) while an old one is challenged.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class TcpRecoveryScapyTests
{
    /// <summary>Python: runs an action and returns the first <c>count</c> segments the stack sends the script's port that match <c>extra</c>, once the sniffer is up.</summary>
    private static string Catch(StackHost host) => $$"""
        import threading
        def catch(action, count=1, timeout=3, extra=''):
            ready = threading.Event()
            sniffer = AsyncSniffer(iface='{{host.Veth.PeerName}}', filter=f'tcp and src host {{StackHost.StackAddress}} and dst port {sport}{extra}',
                                   count=count, timeout=timeout, started_callback=ready.set)
            sniffer.start()
            ready.wait(3)
            action()
            sniffer.join()
            return sniffer.results or []
        """;

    [Fact]
    public async Task TimestampsAreEchoedAndASegmentWithAnOlderOneIsDropped()
    {
        using var host = new StackHost();
        using FlowTcpListener listener = TcpScapyTests.Listen(host, out Task<FlowTcpStream> accepted);

        string seen = host.Python(TcpScapyTests.Script(host.Veth.PeerName, Catch(host) + $$"""

            def stamp(p): return [v for k, v in p[TCP].options if k == 'Timestamp'][0]
            mine, echoed = stamp(synack)
            print('synack echoes', echoed)
            def timed(seq, data, value):
                send(ip/TCP(sport=sport, dport={{TcpScapyTests.Port}}, flags='PA', seq=seq, ack=theirs, window=65535, options=[('Timestamp', (value, mine))])/data)
            fresh = catch(lambda: timed(1001, b'hello', 200))[0]
            print('fresh', fresh[TCP].ack, stamp(fresh)[1])
            stale = catch(lambda: timed(1006, b'world', 150))[0]
            print('stale', stale[TCP].ack, stamp(stale)[1])
            newer = catch(lambda: timed(1006, b'world', 300))[0]
            print('newer', newer[TCP].ack, stamp(newer)[1])
            """, synOptions: ", ('Timestamp', (100, 0))"), timeoutSeconds: 60);

        Assert.Equal(["synack echoes 100", "fresh 1006 200", "stale 1006 200", "newer 1011 300"], seen.Trim().Split('\n'));
        await using FlowTcpStream stream = await accepted.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("helloworld", await ReadTextAsync(stream, 10));
    }

    [Fact]
    public async Task RecoverySendsAgainTheHolesSackShowsAndNothingElse()
    {
        const int segments = 10;
        using var host = new StackHost();
        using FlowTcpListener listener = TcpScapyTests.Listen(host, out Task<FlowTcpStream> accepted);
        // The stack writes once the script's sniffer is up and the script says so with a byte.
        Task<string> written = Task.Run(async () =>
        {
            await using FlowTcpStream stream = await accepted.WaitAsync(TimeSpan.FromSeconds(30));
            stream.NoDelay = true;
            await stream.ReadExactlyAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            await stream.WriteAsync(new byte[segments * 1460]).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            await stream.FlushAsync();
            return "written";
        });

        string seen = host.Python(TcpScapyTests.Script(host.Veth.PeerName, Catch(host) + $$"""

            sent = catch(lambda: segment(1001, b'g'), count={{segments}}, timeout=10, extra=' and greater 200')
            print('sent', [p[TCP].seq - theirs for p in sent])
            def sack(blocks):
                send(ip/TCP(sport=sport, dport={{TcpScapyTests.Port}}, flags='A', seq=1002, ack=theirs, window=65535,
                            options=[('SAck', tuple(theirs + x for b in blocks for x in b))]))
            # Segments 0 and 4 lost; three duplicate ACKs report the rest.
            held = [(1460, 5840), (7300, 14600)]
            first = catch(lambda: [sack(held) for _ in range(3)], extra=' and greater 200')
            print('fast retransmit', [p[TCP].seq - theirs for p in first])
            second = catch(lambda: sack(held), extra=' and greater 200')
            print('next hole', [p[TCP].seq - theirs for p in second])
            send(ip/TCP(sport=sport, dport={{TcpScapyTests.Port}}, flags='A', seq=1002, ack=theirs + 14600, window=65535))
            """), timeoutSeconds: 60);

        Assert.Equal([
            $"sent [{string.Join(", ", Enumerable.Range(0, segments).Select(i => i * 1460))}]",
            "fast retransmit [0]",
            "next hole [5840]",
        ], seen.Trim().Split('\n'));
        Assert.Equal("written", await written.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, host.Stack.Tcp.FastRetransmits);
        Assert.Equal(2, host.Stack.Tcp.RecoveryRetransmissions);
    }

    [Fact]
    public async Task ANewerSynTakesOverAConnectionInTimeWaitAndAnOlderOneIsChallenged()
    {
        using var host = new StackHost();
        using FlowTcpListener listener = TcpScapyTests.Listen(host, out Task<FlowTcpStream> accepted);
        // The stack closes first (so its side is the one in TIME-WAIT), once the script's sniffer is up.
        Task<IPEndPoint> closed = Task.Run(async () =>
        {
            await using FlowTcpStream stream = await accepted.WaitAsync(TimeSpan.FromSeconds(30));
            await stream.ReadExactlyAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            stream.Shutdown();
            Assert.Equal(0, await stream.ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
            return stream.RemoteEndPoint;
        });

        string seen = host.Python(TcpScapyTests.Script(host.Veth.PeerName, Catch(host) + $$"""

            fin = catch(lambda: segment(1001, b'g'), extra=' and tcp[tcpflags] & tcp-fin != 0')[0]
            print('fin', fin[TCP].seq - theirs, fin[TCP].ack)
            last = catch(lambda: send(ip/TCP(sport=sport, dport={{TcpScapyTests.Port}}, flags='FA', seq=1002, ack=theirs + 1, window=65535)))[0]
            print('time-wait acks', last[TCP].flags, last[TCP].ack)
            old = catch(lambda: send(ip/TCP(sport=sport, dport={{TcpScapyTests.Port}}, flags='S', seq=500, window=65535)))[0]
            print('older syn', old[TCP].flags, old[TCP].ack)
            new = catch(lambda: send(ip/TCP(sport=sport, dport={{TcpScapyTests.Port}}, flags='S', seq=5000, window=65535, options=[('MSS', 1460)])))[0]
            print('newer syn', new[TCP].flags, new[TCP].ack, new[TCP].seq - theirs > 65535)
            send(ip/TCP(sport=sport, dport={{TcpScapyTests.Port}}, flags='A', seq=5001, ack=new[TCP].seq + 1, window=65535))
            """), timeoutSeconds: 60);

        Assert.Equal(["fin 0 1002", "time-wait acks A 1003", "older syn A 1003", "newer syn SA 5001 True"], seen.Trim().Split('\n'));
        IPEndPoint first = await closed.WaitAsync(TimeSpan.FromSeconds(30));
        await using FlowTcpStream again = await listener.AcceptAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(first, again.RemoteEndPoint);
    }

    private static async Task<string> ReadTextAsync(FlowTcpStream stream, int length)
    {
        byte[] buffer = new byte[64];
        var text = new StringBuilder();
        while (text.Length < length)
        {
            int n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.NotEqual(0, n);
            text.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        return text.ToString();
    }
}
