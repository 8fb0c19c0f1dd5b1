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
    public void FramesFromTestpmdTxonlyArriveAtFlow()
    {
        using var veth = new PeerVeth();
        using var rx = new AfXdpRx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb });
        string mac = string.Join(':', veth.LocalMac.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        using var testpmd = new Testpmd(veth, $"--forward-mode=txonly --eth-peer=0,{mac} --txpkts=64");

        List<byte[]> received = Receiver.Receive(rx, 1000, Limit, f => f.AsSpan(6, 6).SequenceEqual(veth.PeerMac));
        (long _, long sent) = testpmd.Stop();

        Assert.True(received.Count >= 1000, $"{received.Count} frames from testpmd");
        Assert.True(sent >= 1000, $"testpmd reports {sent} sent");
        Assert.All(received, f =>
        {
            Assert.Equal(veth.LocalMac, f[..6]);
            Assert.Equal(64, f.Length);
            Assert.Equal(new byte[] { 0x08, 0x00 }, f[12..14]); // testpmd txonly sends IPv4/UDP
        });
    }

    [Fact]
    public void FramesFlowSendsAreCountedByTestpmdRxonly()
    {
        using var veth = new PeerVeth();
        using var source = new LeakCheckingPool(256);
        using var tx = new AfXdpTx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb });
        using var testpmd = new Testpmd(veth, "--forward-mode=rxonly");
        // Fewer frames than testpmd's rx ring (--rxd=1024) holds: on a loaded machine testpmd may
        // be descheduled while Flow sends, and the kernel would drop what its rings cannot take.
        const int Count = 512;
        byte[] frame = Frames.Make(veth.PeerMac, veth.LocalMac, 64, 5);

        var packets = new Packet[32];
        var nexts = new Next[32];
        int consumed = 0;
        for (int sent = 0; sent < Count; sent += 32)
        {
            for (int i = 0; i < 32; i++)
            {
                packets[i] = source.Make(frame);
            }
            tx.Process(packets, nexts);
            for (int i = 0; i < 32; i++)
            {
                if (nexts[i] == Next.Consumed)
                {
                    consumed++;
                }
                else
                {
                    source.Pool.Free(packets[i]);
                }
            }
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (tx.InFlight != 0 && clock.Elapsed < Limit)
        {
            tx.Tick(0);
        }
        // testpmd polls every few microseconds; its counters settle once a stats period passes.
        Waits.TryUntilBlocking(() => testpmd.Output.Contains($"RX-packets: {consumed} ", StringComparison.Ordinal), Limit);
        (long received, long _) = testpmd.Stop();

        Assert.True(consumed >= Count * 9 / 10, $"only {consumed} of {Count} frames found a tx slot");
        Assert.Equal(consumed, received);
    }
}
