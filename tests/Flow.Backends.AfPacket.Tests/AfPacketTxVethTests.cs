using Flow.TestKit;
using Xunit;

namespace Flow.Backends.AfPacket.Tests;

/// <summary>
/// <code>
///   [ generator → af_packet_tx ] host ==veth== peer [ namespace: scapy sniff ]
/// </code>
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class AfPacketTxVethTests : IDisposable
{
    private const string Template = "020000000b01020000000a0188b5" + "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
    private readonly NetnsFixture _ns;
    private readonly VethPair _veth;

    public AfPacketTxVethTests()
    {
        Shell.RequireRootAnd("ip", Shell.Python);
        _ns = new NetnsFixture("afpt");
        try
        {
            _veth = new VethPair(_ns, "t");
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

    // At 1000 pps: scapy reads a few thousand frames a second in Python, and a faster burst
    // would overflow its socket buffer (the sniffer's loss, not ours).
    [Theory]
    [InlineData(60, 300)]
    [InlineData(1514, 100)]
    public async Task FramesFlowSendsAreSniffedOnTheOtherSideByteForByte(int size, int count)
    {
        string template = Template.PadRight(size * 2, '5')[..(size * 2)];
        using System.Diagnostics.Process sniffer = Scapy.BeginSniff(_ns, _veth.PeerName, count, 0x88B5);
        var tx = new AfPacketTx(new AfPacketOptions { Interface = _veth.HostName, TxFrames = 64 });
        using FlowGraph graph = new GraphBuilder()
            .Add("gen", new Generator(new GeneratorOptions { Template = template, Count = count, SequenceOffset = 14, RatePps = 1000 }))
            .Add("tx", tx)
            .Connect("gen", "tx")
            .Build();
        await graph.RunAsync().WaitAsync(Waits.Limit);
        string[] seen = Scapy.Collect(sniffer);

        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        Assert.Equal(count, stats.Stage("tx").Consumed);
        Assert.Equal(count, tx.Sent);
        Assert.Equal(0, tx.KickErrors);
        Assert.Equal(count, seen.Length);
        for (int i = 0; i < count; i++)
        {
            byte[] expected = Convert.FromHexString(template);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(expected.AsSpan(14), i);
            Assert.Equal(Convert.ToHexStringLower(expected), seen[i]);
        }
    }

    [Fact]
    public async Task AFrameLongerThanASlotIsDroppedAsTooBig()
    {
        var tx = new AfPacketTx(new AfPacketOptions { Interface = _veth.HostName, TxFrameSize = 1024 });
        using FlowGraph graph = new GraphBuilder()
            .Add("gen", new Generator(new GeneratorOptions { FrameSize = 1500, Count = 5 }))
            .Add("tx", tx).Connect("gen", "tx").Build();
        await graph.RunAsync().WaitAsync(Waits.Limit);

        Assert.Equal(5, graph.GetStats().Stage("tx").DroppedFor("too_big"));
        Assert.True(graph.GetStats().IsBalanced);
    }

    [Fact]
    public async Task AFullTransmitRingDropsWithRingFullAndNothingLeaks()
    {
        // The interface is down: the kernel refuses the frames, slots stay taken, the ring fills.
        Shell.Run("ip", "link", "set", _veth.HostName, "down");
        var tx = new AfPacketTx(new AfPacketOptions { Interface = _veth.HostName, TxFrames = 32 });
        var gen = new Generator(new GeneratorOptions { Count = 200 });
        using FlowGraph graph = new GraphBuilder().Add("gen", gen).Add("tx", tx).Connect("gen", "tx").Build();
        await graph.RunAsync().WaitAsync(Waits.Limit);

        StageStats stage = graph.GetStats().Stage("tx");
        Assert.Equal(200, stage.Consumed + stage.DroppedFor("ring_full"));
        Assert.True(stage.DroppedFor("ring_full") >= 200 - 32, stage.ToString());
        Assert.True(graph.GetStats().IsBalanced);
        Assert.Equal(0, gen.Pool.Outstanding);
    }
}
