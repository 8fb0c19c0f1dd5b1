using Flow.Backends.AfXdp.Tests.Infrastructure;
using Flow.TestKit;
using Xunit;

namespace Flow.Backends.AfXdp.Tests;

/// <summary>
/// A two-queue veth: one socket per queue, each queue's rx and tx stage on its own worker.
/// <code>
///   worker 0: rx0 -> capture0        Local (2 rx/tx queues) &lt;==veth==&gt; Peer
///   worker 1: rx1 -> capture1          sender pinned to CPU 0 -> Peer tx-0 (XPS) -> Local rx queue 0
///                                      sender pinned to CPU 1 -> Peer tx-1 (XPS) -> Local rx queue 1
/// </code>
/// The veth maps the peer's tx queue i to rx queue i of the local end in native XDP mode.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class AfXdpMultiQueueTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task EachQueueHasItsOwnSocketAndReceivesTheFramesSteeredToIt()
    {
        using var veth = new PeerVeth(queues: 2);
        veth.InNamespace("sh", "-c", $"echo 1 > /sys/class/net/{veth.Peer}/queues/tx-0/xps_cpus && echo 2 > /sys/class/net/{veth.Peer}/queues/tx-1/xps_cpus");
        var options = new AfXdpOptions { Interface = veth.Local, QueueCount = 2, AttachMode = AfXdpAttachMode.Native, FrameCount = 2048, RingSize = 1024 };
        var rx0 = new AfXdpRx(options with { Queue = 0 });
        var rx1 = new AfXdpRx(options with { Queue = 1 });
        Assert.Equal(AfXdpAttachMode.Native, rx0.Port.AttachMode);
        Assert.Equal("xdp", veth.LocalXdpMode());
        Assert.Equal(2, rx0.Port.QueueCount);
        Assert.NotSame(rx0.Pool, rx1.Pool);
        var capture0 = new CaptureSink();
        var capture1 = new CaptureSink();
        await using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding).Worker(1, idle: IdlePolicy.Yielding)
            .Add("rx0", rx0, 0).Add("capture0", capture0, 0)
            .Add("rx1", rx1, 1).Add("capture1", capture1, 1)
            .Connect("rx0", "capture0").Connect("rx1", "capture1")
            .Build();
        graph.Start();
        // Sequence numbers go to bytes 14..21; byte 22 onwards tells the two senders apart.
        byte[] fromCpu0 = Frames.Make(veth.LocalMac, veth.PeerMac, 64, 0);
        byte[] fromCpu1 = Frames.Make(veth.LocalMac, veth.PeerMac, 64, 1);

        KernelPeer.Send(veth, cpu: 0, count: 300, fromCpu0);
        KernelPeer.Send(veth, cpu: 1, count: 200, fromCpu1);
        await Waits.TryUntil(() => capture0.Frames.Count(f => Frames.IsTest(f)) + capture1.Frames.Count(f => Frames.IsTest(f)) >= 500, Limit);
        await graph.StopAsync(drain: true);

        byte[][] on0 = [.. capture0.Frames.Where(f => Frames.IsTest(f))];
        byte[][] on1 = [.. capture1.Frames.Where(f => Frames.IsTest(f))];
        Assert.Equal(300, on0.Length);
        Assert.Equal(200, on1.Length);
        Assert.All(on0, f => Assert.Equal(fromCpu0[22..], f[22..]));
        Assert.All(on1, f => Assert.Equal(fromCpu1[22..], f[22..]));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (long)i), on0.Select(f => System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(f.AsSpan(14))));
        Assert.Equal(300, rx0.GetStatistics().RxPackets - capture0.Frames.Count(f => !Frames.IsTest(f)));
        Assert.Equal(200, rx1.GetStatistics().RxPackets - capture1.Frames.Count(f => !Frames.IsTest(f)));
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
    }

    [Fact]
    public void EachQueuesTxStageSendsThroughItsOwnSocket()
    {
        using var veth = new PeerVeth(queues: 2);
        var options = new AfXdpOptions { Interface = veth.Local, QueueCount = 2, AttachMode = AfXdpAttachMode.Skb, FrameCount = 1024, RingSize = 256 };
        using var tx0 = new AfXdpTx(options with { Queue = 0 });
        using var tx1 = new AfXdpTx(options with { Queue = 1 });
        byte[] first = Frames.Make(veth.PeerMac, veth.LocalMac, 100, 7);
        byte[] second = Frames.Make(veth.PeerMac, veth.LocalMac, 200, 8);

        using KernelPeer.Sniffer sniffer = KernelPeer.StartSniffer(veth, 2, TimeSpan.FromSeconds(15));
        var nexts = new Next[1];
        tx0.Process([Make(tx0.Pool, first)], nexts);
        Assert.Equal(Next.Consumed, nexts[0]);
        tx1.Process([Make(tx1.Pool, second)], nexts);
        Assert.Equal(Next.Consumed, nexts[0]);
        IReadOnlyList<byte[]> seen = sniffer.Wait();

        Assert.Equal([first, second], seen);
        Assert.Equal(1, tx0.GetStatistics().TxPackets);
        Assert.Equal(1, tx1.GetStatistics().TxPackets);
        Assert.Equal(0, tx1.GetStatistics().TxCopies);
    }

    [Fact]
    public void WithASharedUmemAFrameReceivedOnOneCopyIsSentOnAnotherWithoutACopy()
    {
        using var veth = new PeerVeth(queues: 2);
        veth.InNamespace("sh", "-c", $"echo 1 > /sys/class/net/{veth.Peer}/queues/tx-0/xps_cpus && echo 2 > /sys/class/net/{veth.Peer}/queues/tx-1/xps_cpus");
        var options = new AfXdpOptions { Interface = veth.Local, QueueCount = 2, AttachMode = AfXdpAttachMode.Native, SharedUmem = true, FrameCount = 1024, RingSize = 256 };
        using var rx1 = new AfXdpRx(options with { Queue = 1 });
        using var tx0 = new AfXdpTx(options with { Queue = 0 });
        Assert.True(rx1.Port.SharesUmem);
        Assert.Same(rx1.Pool, tx0.Pool);
        Assert.Equal(2048, rx1.Pool.FrameCount);
        byte[] frame = Frames.Make(veth.LocalMac, veth.PeerMac, 300, 6);

        KernelPeer.Send(veth, cpu: 1, count: 1, frame);
        Span<Packet> packets = stackalloc Packet[32];
        Span<Next> nexts = stackalloc Next[32];
        int n = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (n == 0 && clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            n = rx1.Poll(packets, nexts);
        }
        Assert.Equal(1, n);
        Packet packet = packets[0];
        Assert.Equal(frame.Length, packet.Length);
        // Turn it around in place: swap the MAC addresses and send it back out of queue 0.
        veth.PeerMac.CopyTo(packet.Data);
        veth.LocalMac.CopyTo(packet.Data[6..]);
        byte[] expected = packet.Data.ToArray();
        using KernelPeer.Sniffer sniffer = KernelPeer.StartSniffer(veth, 1, TimeSpan.FromSeconds(15));
        tx0.Process(packets[..1], nexts[..1]);
        IReadOnlyList<byte[]> seen = sniffer.Wait();

        Assert.Equal(Next.Consumed, nexts[0]);
        Assert.Equal(expected, Assert.Single(seen));
        Assert.Equal(0, tx0.GetStatistics().TxCopies);
        Assert.Equal(1, rx1.GetStatistics().RxPackets);
    }

    private static Packet Make(PacketPool pool, byte[] bytes)
    {
        Assert.True(pool.TryAllocate(out Packet packet));
        Assert.True(packet.TrySetLength(bytes.Length));
        bytes.CopyTo(packet.Data);
        return packet;
    }
}
