using Flow.TestKit;
using Xunit;

namespace Flow.Backends.AfPacket.Tests;

/// <summary>
/// <code>
///   [ namespace: scapy / ping ] peer ==veth== host [ af_packet_rx → capture_sink ]
/// </code>
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class AfPacketRxVethTests : IDisposable
{
    private const int TestEtherType = 0x88B5; // IEEE local experimental: the kernel ignores it.
    private readonly NetnsFixture _ns;
    private readonly VethPair _veth;

    public AfPacketRxVethTests()
    {
        Shell.RequireRootAnd("ip", Shell.Python, "busybox");
        _ns = new NetnsFixture("afp");
        try
        {
            _veth = new VethPair(_ns, "a");
        }
        catch
        {
            _ns.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _veth.Dispose();
        _ns.Dispose();
    }

    private static List<byte[]> OfType(CaptureSink capture, int etherType) =>
        capture.Frames.Where(f => f.Length >= 18 && (f[12] << 8 | f[13]) == etherType ||
                                  f.Length >= 18 && (f[12] << 8 | f[13]) == 0x8100 && (f[16] << 8 | f[17]) == etherType).ToList();

    [Fact]
    public async Task FramesScapySendsInTheNamespaceArriveByteForByteWithVlanTagsRestored()
    {
        var rx = new AfPacketRx(new AfPacketOptions { Interface = _veth.HostName });
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(50)))
            .Add("rx", rx).Add("sink", capture).Connect("rx", "sink").Build();
        graph.Start();

        string[] sent = Scapy.Send(_ns, _veth.PeerName, $"""
            [Ether(src='02:00:00:00:0a:01', dst='02:00:00:00:0b:01', type={TestEtherType})/Raw(bytes([i % 251]) * n)
             for i, n in enumerate([46, 50, 1500, 100, 47] * 20)] +
            [Ether(src='02:00:00:00:0a:01', dst='02:00:00:00:0b:01')/Dot1Q(vlan=100 + i, prio=i % 8, type={TestEtherType})/Raw(b'v' * (46 + i))
             for i in range(10)] +
            [Ether(src='02:00:00:00:0a:01', dst='ff:ff:ff:ff:ff:ff')/Dot1Q(vlan=4094, type={TestEtherType})/Raw(b'w' * 1500)]
            """);
        Assert.Equal(111, sent.Length);
        await Waits.Until(() => OfType(capture, TestEtherType).Count >= sent.Length, $"{sent.Length} frames at {_veth.HostName}");
        await graph.StopAsync().WaitAsync(Waits.Limit);

        List<byte[]> received = OfType(capture, TestEtherType);
        Assert.Equal(sent, received.Select(Convert.ToHexStringLower));
        Assert.True(graph.GetStats().IsBalanced, string.Join("\n", graph.GetStats().Stages));
        Assert.Equal(0, rx.Pool.Outstanding);
        Assert.True(rx.Statistics.Packets >= sent.Length, $"PACKET_STATISTICS saw {rx.Statistics.Packets}");
        Assert.Equal(0, rx.Statistics.Drops);
    }

    [Fact]
    public async Task WithoutVlanRestoreTheTagIsInTheMetadata()
    {
        var rx = new AfPacketRx(new AfPacketOptions { Interface = _veth.HostName, RestoreVlan = false });
        var tags = new List<(ushort Tci, bool Stripped)>();
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("rx", rx).Add("meta", new MetaRecorder(tags)).Add("sink", capture)
            .Connect("rx", "meta").Connect("meta", "sink").Build();
        graph.Start();
        string[] sent = Scapy.Send(_ns, _veth.PeerName,
            $"[Ether(src='02:00:00:00:0a:01', dst='02:00:00:00:0b:01')/Dot1Q(vlan=42, prio=5, type={TestEtherType})/Raw(b'x' * 60)]");
        await Waits.Until(() => OfType(capture, TestEtherType).Count == 1, "the tagged frame");
        await graph.StopAsync().WaitAsync(Waits.Limit);

        byte[] untagged = Convert.FromHexString(sent[0]);
        untagged = [.. untagged[..12], .. untagged[16..]];
        Assert.Equal(untagged, OfType(capture, TestEtherType)[0]);
        int index = capture.Frames.ToList().FindIndex(f => (f[12] << 8 | f[13]) == TestEtherType);
        Assert.Equal(((ushort)(5 << 13 | 42), true), tags[index]);
        Assert.True(graph.GetStats().IsBalanced);
    }

    [Fact]
    public async Task PingsFromTheNamespaceArrive()
    {
        var rx = new AfPacketRx(new AfPacketOptions { Interface = _veth.HostName });
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("rx", rx).Add("sink", capture).Connect("rx", "sink").Build();
        graph.Start();
        _ns.Exec("ip", "addr", "add", "10.77.0.1/24", "dev", _veth.PeerName);
        _ns.Exec("ip", "neigh", "add", "10.77.0.2", "lladdr", _veth.HostMac, "dev", _veth.PeerName);
        // No reply is expected (the host end has no address), so ping's exit code says nothing; it must end.
        ShellResult ping = _ns.TryExec(TimeSpan.FromSeconds(20), "busybox", "ping", "-c", "3", "-i", "0.2", "-W", "1", "-p", "f1", "10.77.0.2");
        Assert.True(ping.ExitCode is 0 or 1, $"ping failed: {ping}");

        static bool IsEcho(byte[] f) => f.Length >= 42 && f[12] == 0x08 && f[13] == 0x00 && f[23] == 1 && f[34] == 8 &&
            f.AsSpan(26, 4).SequenceEqual(new byte[] { 10, 77, 0, 1 }) && f.AsSpan(30, 4).SequenceEqual(new byte[] { 10, 77, 0, 2 });
        await Waits.Until(() => capture.Frames.Count(IsEcho) >= 3, "3 ICMP echo requests");
        await graph.StopAsync().WaitAsync(Waits.Limit);

        byte[][] echoes = capture.Frames.Where(IsEcho).ToArray();
        Assert.Equal(3, echoes.Length);
        foreach (byte[] echo in echoes)
        {
            Assert.Equal(Convert.FromHexString(_veth.HostMac.Replace(":", "")), echo[..6]);
            Assert.Equal(Convert.FromHexString(_veth.PeerMac.Replace(":", "")), echo[6..12]);
            Assert.Equal(new byte[] { 0xf1, 0xf1, 0xf1, 0xf1 }, echo[^4..]); // ping -p pattern fills the payload
        }
        Assert.True(graph.GetStats().IsBalanced);
    }

    [Fact]
    public async Task FanoutSpreadsOneInterfaceOverTwoRxStages()
    {
        int group = Random.Shared.Next(1, 0xFFFF);
        var options = new AfPacketOptions { Interface = _veth.HostName, FanoutGroup = group, FanoutMode = AfPacketFanoutMode.LoadBalance };
        var rx0 = new AfPacketRx(options with { InputPort = 0 });
        var rx1 = new AfPacketRx(options with { InputPort = 1 });
        var sink0 = new CaptureSink();
        var sink1 = new CaptureSink();
        using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(50))).Worker(1, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(50)))
            .Add("rx0", rx0, 0).Add("sink0", sink0, 0).Connect("rx0", "sink0")
            .Add("rx1", rx1, 1).Add("sink1", sink1, 1).Connect("rx1", "sink1")
            .Build();
        graph.Start();
        string[] sent = Scapy.Send(_ns, _veth.PeerName,
            $"[Ether(src='02:00:00:00:0a:01', dst='02:00:00:00:0b:01', type={TestEtherType})/Raw(i.to_bytes(2, 'big') * 30) for i in range(200)]");
        await Waits.Until(() => OfType(sink0, TestEtherType).Count + OfType(sink1, TestEtherType).Count >= 200, "200 frames over two sockets");
        await graph.StopAsync().WaitAsync(Waits.Limit);

        List<byte[]> a = OfType(sink0, TestEtherType);
        List<byte[]> b = OfType(sink1, TestEtherType);
        Assert.Equal(200, a.Count + b.Count);
        Assert.InRange(a.Count, 50, 150); // round robin: about half each
        Assert.Equal(sent.Order(), a.Concat(b).Select(Convert.ToHexStringLower).Order());
        Assert.True(graph.GetStats().IsBalanced);
    }

    [Fact]
    public async Task FramesLostToAFullRingAreCountedAsKernelDrops()
    {
        // One 4 KiB block holds a few dozen small frames; nothing reads it while scapy sends 300.
        var rx = new AfPacketRx(new AfPacketOptions { Interface = _veth.HostName, BlockSize = 4096, BlockCount = 1, BlockTimeoutMs = 1 });
        Scapy.Send(_ns, _veth.PeerName,
            $"[Ether(src='02:00:00:00:0a:01', dst='02:00:00:00:0b:01', type={TestEtherType})/Raw(b'd' * 46) for i in range(300)]");
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("rx", rx).Add("sink", capture).Connect("rx", "sink").Build();
        graph.Start();
        await Waits.Until(() => capture.Count > 0, "the frames that fit");
        await graph.StopAsync().WaitAsync(Waits.Limit);

        AfPacketStatistics statistics = rx.Statistics;
        StageStats stage = graph.GetStats().Stage("rx");
        Assert.True(statistics.Drops > 0, $"no kernel drops: {statistics}");
        Assert.Equal(statistics.Drops, stage.DroppedFor("kernel_drop"));
        Assert.Equal(statistics.Packets, stage.In);
        Assert.True(graph.GetStats().IsBalanced);
    }

    [Fact]
    public async Task AFrameLongerThanAPoolFrameIsDroppedAsTooBigAndTheNextOneStillArrives()
    {
        Shell.Run("ip", "link", "set", _veth.HostName, "mtu", "4000");
        _ns.Exec("ip", "link", "set", _veth.PeerName, "mtu", "4000");
        var rx = new AfPacketRx(new AfPacketOptions { Interface = _veth.HostName });
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("rx", rx).Add("sink", capture).Connect("rx", "sink").Build();
        graph.Start();
        string[] sent = Scapy.Send(_ns, _veth.PeerName, $$"""
            [Ether(src='02:00:00:00:0a:01', dst='02:00:00:00:0b:01', type={{TestEtherType}})/Raw(b'J' * n) for n in (3000, 100)]
            """);
        await Waits.Until(() => OfType(capture, TestEtherType).Count == 1, "the small frame after the jumbo one");
        await graph.StopAsync().WaitAsync(Waits.Limit);

        Assert.Equal(sent[1], Convert.ToHexStringLower(OfType(capture, TestEtherType)[0]));
        Assert.Equal(1, graph.GetStats().Stage("rx").DroppedFor("too_big"));
        Assert.True(graph.GetStats().IsBalanced);
    }

    [Fact]
    public void PromiscuousModeLastsAsLongAsTheStage()
    {
        static bool Promiscuous(string name) => Shell.Run("ip", "-d", "link", "show", name).Contains("promiscuity 1");
        Assert.False(Promiscuous(_veth.HostName));
        using (new AfPacketRx(new AfPacketOptions { Interface = _veth.HostName, Promiscuous = true }))
        {
            Assert.True(Promiscuous(_veth.HostName));
        }
        Assert.False(Promiscuous(_veth.HostName));
    }

    [Fact]
    public void AnUnknownInterfaceIsRefusedWithItsName()
    {
        IOException e = Assert.Throws<IOException>(() => new AfPacketRx(new AfPacketOptions { Interface = "flownosuch0" }));
        Assert.Contains("flownosuch0", e.Message);
    }
}
