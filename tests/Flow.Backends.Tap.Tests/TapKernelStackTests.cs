using System.Buffers.Binary;
using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Tap.Tests;

/// <summary>
/// The kernel's own stack answers through a TAP interface a Flow graph drives:
/// <code>
///   gated_frame_source → tap_tx ──┐          [ namespace: tapX 10.88.0.1/24, kernel ARP + ICMP ]
///   capture_sink ← tap_rx ←───────┘
/// </code>
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class TapKernelStackTests : IDisposable
{
    private static readonly byte[] TapMac = [0x02, 0, 0, 0, 0x77, 0x01];
    private static readonly byte[] OurMac = [0x02, 0, 0, 0, 0x77, 0x02];
    private static readonly byte[] KernelIp = [10, 88, 0, 1];
    private static readonly byte[] OurIp = [10, 88, 0, 2];
    private readonly NetnsFixture _ns;

    public TapKernelStackTests()
    {
        Shell.RequireRootAnd("ip");
        _ns = new NetnsFixture("tap");
    }

    public void Dispose() => _ns.Dispose();

    private static bool IsArpReply(byte[] f) =>
        f.Length >= 42 && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) == 0x0806 && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(20)) == 2;

    private static bool IsEchoReply(byte[] f) =>
        f.Length >= 42 && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) == 0x0800 && f[23] == 1 && f[34] == 0;

    [Fact]
    public async Task TheKernelAnswersArpAndPingThroughATapDrivenByAGraph()
    {
        string name = NetnsFixture.UniqueName("tapk", 15);
        var options = new TapOptions { Interface = name, Mac = "02:00:00:00:77:01", Mtu = 1500 };
        byte[] payload = "flow tap exception path ping!!!!"u8.ToArray();
        byte[][] pings = [.. Enumerable.Range(1, 3).Select(i => Frames.EchoRequest(TapMac, OurMac, OurIp, KernelIp, 0x4242, (ushort)i, payload))];
        var source = new GatedFrameSource([Frames.ArpRequest(OurMac, OurIp, KernelIp)], pings);
        var rx = new TapRx(options);
        var tx = new TapTx(options);
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(20)))
            .Add("probe", source).Add("tap_tx", tx).Add("tap_rx", rx).Add("sink", capture)
            .Connect("probe", "tap_tx").Connect("tap_rx", "sink")
            .Build();

        Shell.Run("ip", "link", "set", name, "netns", _ns.Name);
        _ns.Exec("ip", "addr", "add", "10.88.0.1/24", "dev", name);
        _ns.Exec("ip", "link", "set", name, "up");
        graph.Start();

        await Waits.Until(() => capture.Frames.Any(IsArpReply), "the kernel's ARP reply");
        source.Release();
        await Waits.Until(() => capture.Frames.Count(IsEchoReply) >= 3, "three echo replies");
        await graph.StopAsync().WaitAsync(Waits.Limit);

        byte[] arp = capture.Frames.First(IsArpReply);
        Assert.Equal(OurMac, arp[0..6]);
        Assert.Equal(TapMac, arp[6..12]);
        Assert.Equal(TapMac, arp[22..28]);   // sender hardware address: the tap's MAC
        Assert.Equal(KernelIp, arp[28..32]);
        Assert.Equal(OurMac, arp[32..38]);
        Assert.Equal(OurIp, arp[38..42]);

        byte[][] replies = [.. capture.Frames.Where(IsEchoReply)];
        Assert.Equal(3, replies.Length);
        for (int i = 0; i < 3; i++)
        {
            byte[] r = replies[i];
            Assert.Equal(OurMac, r[0..6]);
            Assert.Equal(KernelIp, r[26..30]);
            Assert.Equal(OurIp, r[30..34]);
            Assert.Equal(0, Frames.Checksum(r.AsSpan(14, 20)));
            Assert.Equal(0, Frames.Checksum(r.AsSpan(34)));
            Assert.Equal(0x4242, BinaryPrimitives.ReadUInt16BigEndian(r.AsSpan(38)));
            Assert.Equal(i + 1, BinaryPrimitives.ReadUInt16BigEndian(r.AsSpan(40)));
            Assert.Equal(payload, r[42..]);
        }
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        Assert.Equal(4, stats.Stage("tap_tx").Consumed);
        Assert.Equal(0, rx.LastErrno);
    }

    [Fact]
    public async Task WritingToATapThatIsDownIsACountedDrop()
    {
        string name = NetnsFixture.UniqueName("tapd", 15);
        var options = new TapOptions { Interface = name, Up = false };
        var tx = new TapTx(options);
        using FlowGraph graph = new GraphBuilder()
            .Add("gen", new Generator(new GeneratorOptions { Count = 10 })).Add("tx", tx).Connect("gen", "tx").Build();
        await graph.RunAsync().WaitAsync(Waits.Limit);

        StageStats stage = graph.GetStats().Stage("tx");
        Assert.Equal(10, stage.DroppedFor("write_failed"));
        Assert.Equal(5, tx.LastErrno); // EIO: the tap is not up
        Assert.True(graph.GetStats().IsBalanced);
    }
}
