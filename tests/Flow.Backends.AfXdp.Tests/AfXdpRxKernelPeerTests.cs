using Flow.Backends.AfXdp.Tests.Infrastructure;
using Flow.TestKit;
using Xunit;

namespace Flow.Backends.AfXdp.Tests;

/// <summary>
/// Frames the kernel sends from the namespace arrive at Flow's rx stage.
/// <code>
///   Flow AfXdpRx --- [XDP redirect, skb mode] --- Local &lt;==veth==&gt; Peer --- scapy / ping
/// </code>
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class AfXdpRxKernelPeerTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);

    [Fact]
    public void FramesSentWithScapyArriveByteForByte()
    {
        using var veth = new PeerVeth();
        using var rx = new AfXdpRx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb });
        Assert.Equal(AfXdpAttachMode.Skb, rx.Port.AttachMode);
        Assert.Equal("xdpgeneric", veth.LocalXdpMode());
        byte[][] sent = [.. new[] { 60, 64, 1514, 100, 61 }.Select((length, i) => Frames.Make(veth.LocalMac, veth.PeerMac, length, i))];

        KernelPeer.ScapySend(veth, sent);
        List<byte[]> received = Receiver.Receive(rx, sent.Length, Limit, f => Frames.IsTest(f));

        Assert.Equal(sent.Length, received.Count);
        for (int i = 0; i < sent.Length; i++)
        {
            Assert.Equal(sent[i], received[i]);
        }
        AfXdpStatistics stats = rx.GetStatistics();
        Assert.True(stats.RxPackets >= sent.Length, stats.ToString());
        Assert.Equal(0UL, stats.RxInvalidDescriptors);
        Assert.Equal(0UL, stats.RxRingFull);
    }

    [Fact]
    public void ReceivedFramesArePacketsOfTheUmemPoolWithTheirMetadataIntact()
    {
        using var veth = new PeerVeth();
        using var rx = new AfXdpRx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb, FrameSize = 4096, Headroom = 128 });
        KernelPeer.ScapySend(veth, [Frames.Make(veth.LocalMac, veth.PeerMac, 200, 9)]);

        Span<Packet> packets = stackalloc Packet[32];
        int n = PollUntilSomething(rx, packets);

        Assert.Equal(1, n);
        Packet packet = packets[0];
        unsafe
        {
            Assert.True(rx.Pool.Contains(packet.Frame));
        }
        Assert.Equal(rx.Pool.Id, packet.Meta.PoolId);
        Assert.Equal(4096, packet.Meta.FrameSize);
        Assert.Equal(128 + 256, packet.Meta.DataOffset); // UMEM headroom + XDP_PACKET_HEADROOM
        Assert.Equal(200, packet.Length);
        rx.Pool.Free(packet);
        Assert.Equal(0, rx.Pool.InvalidFrees);
    }

    [Theory]
    [InlineData(null, 0)]
    [InlineData((ushort)5, 5)]
    public void ReceivedFramesCarryTheConfiguredInputPortOrTheQueue(ushort? inputPort, int expected)
    {
        using var veth = new PeerVeth();
        using var rx = new AfXdpRx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb, InputPort = inputPort });
        KernelPeer.ScapySend(veth, [Frames.Make(veth.LocalMac, veth.PeerMac, 64, 3)]);

        Span<Packet> packets = stackalloc Packet[32];
        int n = PollUntilSomething(rx, packets);

        Assert.Equal(1, n);
        Assert.Equal(expected, packets[0].Meta.InputPort);
        rx.Pool.Free(packets[0]);
    }

    [Fact]
    public void PingRequestsFromTheNamespaceArrive()
    {
        Shell.Require("busybox", "busybox");
        using var veth = new PeerVeth();
        using var rx = new AfXdpRx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb });
        veth.InNamespace("ip", "addr", "add", "10.231.7.2/24", "dev", veth.Peer);
        veth.InNamespace("ip", "neigh", "add", "10.231.7.1", "lladdr", Convert.ToHexString(veth.LocalMac).ToLowerInvariant().Chunk(2).Select(c => new string(c)).Aggregate((a, b) => a + ":" + b), "dev", veth.Peer);

        // Nobody answers (the XDP program takes every frame), so ping exits non-zero; it bounds itself.
        Shell.TryRun(TimeSpan.FromSeconds(20), "ip", "netns", "exec", veth.Namespace, "busybox", "ping", "-c", "3", "-i", "0.2", "-W", "1", "10.231.7.1");
        List<byte[]> received = Receiver.Receive(rx, 3, Limit, f => f.Length > 34 && f[12] == 0x08 && f[13] == 0x00 && f[23] == 1);

        Assert.Equal(3, received.Count);
        foreach (byte[] frame in received)
        {
            Assert.Equal(veth.LocalMac, frame[..6]);
            Assert.Equal(veth.PeerMac, frame[6..12]);
            Assert.Equal(8, frame[34]); // ICMP echo request
            Assert.Equal(new byte[] { 10, 231, 7, 1 }, frame[30..34]);
        }
    }

    [Fact]
    public async Task AGraphWithABlockingRxOnAnEventWorkerDeliversEveryFrameAndBalances()
    {
        using var veth = new PeerVeth();
        var capture = new CaptureSink();
        var rx = new AfXdpRx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb, Blocking = true });
        Assert.Equal(rx.Port.Ifindex > 0 ? rx.WakeupFd : -2, rx.WakeupFd);
        Assert.True(rx.WakeupFd >= 0);
        await using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(200)))
            .Add("rx", rx)
            .Add("capture", capture)
            .Connect("rx", "capture")
            .Build();
        graph.Start();
        byte[] template = Frames.Make(veth.LocalMac, veth.PeerMac, 64, 0);

        KernelPeer.Send(veth, cpu: 0, count: 500, template);
        await Waits.TryUntil(() => capture.Frames.Count(f => Frames.IsTest(f)) >= 500, Limit);
        await graph.StopAsync(drain: true);

        byte[][] test = [.. capture.Frames.Where(f => Frames.IsTest(f))];
        Assert.Equal(500, test.Length);
        for (int i = 0; i < test.Length; i++)
        {
            Assert.Equal((long)i, System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(test[i].AsSpan(14)));
        }
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        Assert.Equal(stats.Stage("rx").OutOn("out"), stats.Stage("capture").Consumed);
    }

    /// <summary>Polls until the stage yields frames (at most <see cref="Limit"/>); how many it yielded.</summary>
    private static int PollUntilSomething(AfXdpRx rx, Span<Packet> packets)
    {
        Span<Next> nexts = stackalloc Next[packets.Length];
        int n = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (n == 0 && clock.Elapsed < Limit)
        {
            n = rx.Poll(packets, nexts);
        }
        return n;
    }
}
