using Flow.Backends.AfXdp.Tests.Infrastructure;
using Flow.TestKit;
using Xunit;

namespace Flow.Backends.AfXdp.Tests;

/// <summary>
/// DPDK's own AF_XDP PMD on the other veth end talks to Flow.
/// <code>
///   Flow AfXdpRx/AfXdpTx -- Local &lt;==veth==&gt; Peer -- dpdk-testpmd --vdev net_af_xdp0,iface=Peer
/// </code>
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class AfXdpTestpmdInteropTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    [Fact]
    public void FramesFromTestpmdTxonlyArriveAtFlowWithTheirHeadersIntact()
    {
        using var veth = new PeerVeth();
        using var rx = new AfXdpRx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb });
        string mac = string.Join(':', veth.LocalMac.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        using Testpmd testpmd = StartTestpmd(veth, $"--forward-mode=txonly --eth-peer=0,{mac} --txpkts=64");

        List<byte[]> received = Receiver.Receive(rx, 1000, Limit, f => f.AsSpan(6, 6).SequenceEqual(veth.PeerMac));
        (long _, long sent) = testpmd.Stop();

        Assert.True(received.Count >= 1000, $"{received.Count} frames from testpmd");
        Assert.True(sent >= 1000, $"testpmd reports {sent} sent");
        // testpmd txonly writes the Ethernet, IPv4 and UDP headers (42 bytes) and leaves the rest
        // of the 64 bytes as the mbuf held them, so the headers are what can be compared.
        byte[] expected = TxonlyHeaders(veth.LocalMac, veth.PeerMac, 64);
        int corrupt = received.Count(f => f.Length != 64 || !f.AsSpan(0, expected.Length).SequenceEqual(expected));
        Assert.True(corrupt == 0, $"{corrupt} of {received.Count} frames differ from testpmd txonly's headers {Convert.ToHexString(expected)}");
    }

    /// <summary>
    /// Flow sends 512 numbered, patterned frames to testpmd in macswap mode, one burst in flight at
    /// a time, and receives them back: testpmd counts exactly what Flow handed to the kernel, and
    /// every frame returns once with its MACs swapped and every other byte as sent.
    /// </summary>
    [Fact]
    public void FramesFlowSendsAreCountedByTestpmdAndComeBackByteForByteThroughMacswap()
    {
        using var veth = new PeerVeth();
        using var source = new LeakCheckingPool(256);
        var options = new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb };
        using var tx = new AfXdpTx(options);
        using var rx = new AfXdpRx(options);
        using Testpmd testpmd = StartTestpmd(veth, "--forward-mode=macswap");
        const int Count = 512;
        const int Burst = 32;
        var sentFrames = new byte[Count][];
        var seen = new int[Count];
        int consumed = 0;
        int corrupt = 0;

        var packets = new Packet[Burst];
        var nexts = new Next[Burst];
        // A first poll posts rx's buffers to the fill ring before anything is sent.
        Receiver.Receive(rx, 1, TimeSpan.FromMilliseconds(200), f => Frames.IsTest(f));
        for (int first = 0; first < Count; first += Burst)
        {
            for (int i = 0; i < Burst; i++)
            {
                int sequence = first + i;
                byte[] frame = Frames.Make(veth.PeerMac, veth.LocalMac, 64 + sequence % 7 * 200, sequence);
                System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(14), sequence);
                sentFrames[sequence] = frame;
                packets[i] = source.Make(frame);
            }
            tx.Process(packets, nexts);
            int accepted = 0;
            for (int i = 0; i < Burst; i++)
            {
                if (nexts[i] == Next.Consumed)
                {
                    accepted++;
                }
                else
                {
                    source.Pool.Free(packets[i]);
                }
            }
            consumed += accepted;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (tx.InFlight != 0 && clock.Elapsed < Limit)
            {
                tx.Tick(0);
            }
            foreach (byte[] echo in Receiver.Receive(rx, accepted, TimeSpan.FromSeconds(5), f => Frames.IsTest(f)))
            {
                int sequence = echo.Length >= 18 ? System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(echo.AsSpan(14)) : -1;
                if (sequence < 0 || sequence >= Count || !Echoed(sentFrames[sequence], echo))
                {
                    corrupt++;
                    continue;
                }
                seen[sequence]++;
            }
        }
        (long received, long _) = testpmd.Stop();

        Assert.True(consumed >= Count * 9 / 10, $"only {consumed} of {Count} frames found a tx slot");
        Assert.Equal(consumed, received);
        Assert.Equal(0, corrupt);
        Assert.Equal(0, seen.Count(n => n > 1));
        Assert.Equal(consumed, seen.Count(n => n == 1));
    }

    /// <summary>testpmd with the net_af_xdp PMD on the peer end of <paramref name="veth"/>, in its namespace, forwarding as <paramref name="forwarding"/> says.</summary>
    private static Testpmd StartTestpmd(PeerVeth veth, string forwarding) =>
        Testpmd.Forwarding(new TestpmdOptions
        {
            Devices = [$"net_af_xdp0,iface={veth.Peer}"],
            Namespace = veth.Namespace,
            Cpu = 1,
            Arguments = $"--total-num-mbufs=8192 --rxd=1024 --txd=1024 {forwarding}",
        });

    /// <summary>A macswap echo of <paramref name="sent"/>: the MACs exchanged, every other byte the same.</summary>
    private static bool Echoed(byte[] sent, byte[] echo) =>
        echo.Length == sent.Length && echo.AsSpan(0, 6).SequenceEqual(sent.AsSpan(6, 6)) &&
        echo.AsSpan(6, 6).SequenceEqual(sent.AsSpan(0, 6)) && echo.AsSpan(12).SequenceEqual(sent.AsSpan(12));

    /// <summary>The 42 header bytes of testpmd txonly's frame: its default addresses 198.18.0.1 → 198.18.0.2, UDP 9 → 9, TTL 64, id 0.</summary>
    private static byte[] TxonlyHeaders(byte[] destination, byte[] source, int length)
    {
        var h = new byte[42];
        destination.CopyTo(h, 0);
        source.CopyTo(h, 6);
        h[12] = 0x08;
        h[14] = 0x45;
        h[16] = (byte)((length - 14) >> 8);
        h[17] = (byte)(length - 14);
        h[22] = 64;
        h[23] = 17;
        byte[] addresses = [198, 18, 0, 1, 198, 18, 0, 2];
        addresses.CopyTo(h, 26);
        uint sum = 0;
        for (int i = 14; i < 34; i += 2)
        {
            sum += (uint)(h[i] << 8 | h[i + 1]);
        }
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        h[24] = (byte)(~sum >> 8);
        h[25] = (byte)~sum;
        h[35] = 9;
        h[37] = 9;
        h[38] = (byte)((length - 34) >> 8);
        h[39] = (byte)(length - 34);
        return h;
    }
}
