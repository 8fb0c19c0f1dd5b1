using Xunit;

namespace Flow.Backends.Memif.Tests;

/// <summary>
/// <see cref="MemifOptions.BufferGroup"/>: client interfaces in one group share one buffer
/// region, so a graph forwarding between them moves frames without copying them.
/// <code>
///  source → memif_tx [server in] ══ [client in] memif_rx → memif_tx [client out] ══ [server out] memif_rx → capture
/// </code>
/// </summary>
[Collection(nameof(MemifCollection))]
public class MemifBufferGroupTests
{
    [Theory]
    [InlineData(true, 64)]
    [InlineData(true, 1518)]
    [InlineData(false, 64)]
    public async Task ForwardingBetweenGroupedClientsCopiesNothingAndDeliversEveryFrameIntact(bool grouped, int frameSize)
    {
        string? group = grouped ? $"test-{Guid.NewGuid():N}" : null;
        string socketIn = MemifTestNames.Socket("group-in");
        string socketOut = MemifTestNames.Socket("group-out");
        using MemifInterface serverIn = MemifInterface.Create(new MemifOptions { Socket = socketIn, Role = MemifRole.Server });
        using MemifInterface serverOut = MemifInterface.Create(new MemifOptions { Socket = socketOut, Role = MemifRole.Server });
        using MemifInterface clientIn = MemifInterface.Create(new MemifOptions { Socket = socketIn, Role = MemifRole.Client, BufferGroup = group });
        using MemifInterface clientOut = MemifInterface.Create(new MemifOptions { Socket = socketOut, Role = MemifRole.Client, BufferGroup = group });
        Assert.True(clientIn.WaitConnected(MemifTestNames.Limit), clientIn.LastDisconnectReason);
        Assert.True(clientOut.WaitConnected(MemifTestNames.Limit), clientOut.LastDisconnectReason);
        Assert.Equal(grouped, ReferenceEquals(clientIn.SharedPool, clientOut.SharedPool));

        const long count = 3000;
        using (FlowGraph forward = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("rx", new MemifRx(clientIn, 0)).Add("tx", new MemifTx(clientOut, 0)).Connect("rx", "tx").Build())
        {
            forward.Start();
            await MemifFlowPairTests.Transfer(serverIn, serverOut, frameSize, count, queues: 1);
            await forward.StopAsync();
            Assert.True(forward.GetStats().IsBalanced, string.Join("\n", forward.GetStats().Stages));
        }

        MemifQueueStats received = clientIn.GetRxStats(0);
        MemifQueueStats sent = clientOut.GetTxStats(0);
        Assert.Equal(count, received.Packets);
        Assert.Equal(count, sent.Packets);
        Assert.Equal(0, received.Copies);
        Assert.Equal(grouped ? 0 : count, sent.Copies);
        Assert.Equal(count, serverOut.GetRxStats(0).Copies); // a server always copies out of the client's buffers
    }

    [Fact]
    public void MembersOfAGroupMustAgreeOnTheBufferSize()
    {
        string group = $"test-{Guid.NewGuid():N}";
        using MemifInterface first = MemifInterface.Create(new MemifOptions { Socket = MemifTestNames.Socket("group-size"), BufferGroup = group });

        var refused = Assert.Throws<ArgumentException>(() => MemifInterface.Create(
            new MemifOptions { Socket = MemifTestNames.Socket("group-size"), BufferGroup = group, BufferSize = 4096 }));

        Assert.Contains("2048-byte buffers", refused.Message);
    }

    [Fact]
    public void TheGroupEndsWithItsLastMemberAndItsNameCanBeUsedAgain()
    {
        string group = $"test-{Guid.NewGuid():N}";
        MemifInterface first = MemifInterface.Create(new MemifOptions { Socket = MemifTestNames.Socket("group-end"), BufferGroup = group });
        MemifInterface second = MemifInterface.Create(new MemifOptions { Socket = MemifTestNames.Socket("group-end"), BufferGroup = group });
        PacketPool pool = first.SharedPool!;
        first.Dispose();
        Assert.Same(pool, second.SharedPool);
        Assert.Equal(pool.FrameCount, pool.Available); // still usable: the second member keeps it
        second.Dispose();

        // Gone with its last member: the name makes a new group, which may use other buffers.
        using MemifInterface again = MemifInterface.Create(
            new MemifOptions { Socket = MemifTestNames.Socket("group-end"), BufferGroup = group, BufferSize = 4096 });
        Assert.NotSame(pool, again.SharedPool);
    }

    [Theory]
    [InlineData("g")]
    [InlineData(null)]
    public void BuffersBeyondWhatA32BitDescriptorOffsetReachesAreRefused(string? group)
    {
        var refused = Assert.Throws<ArgumentException>(() => MemifInterface.Create(
            new MemifOptions { Socket = MemifTestNames.Socket("group-4g"), BufferGroup = group, PoolFrames = 2_000_000 }));

        Assert.Contains("4 GiB", refused.Message);
    }

    [Theory]
    [InlineData(MemifRole.Server, "g")]
    [InlineData(MemifRole.Client, "")]
    public void AGroupNeedsAClientAndAName(MemifRole role, string group)
    {
        var refused = Assert.Throws<ArgumentException>(() => MemifInterface.Create(
            new MemifOptions { Socket = MemifTestNames.Socket("group-bad"), Role = role, BufferGroup = group }));

        Assert.Contains("BufferGroup", refused.Message);
    }
}
