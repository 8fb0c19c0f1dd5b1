using System.Buffers.Binary;
using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Memif.Tests;

/// <summary>
/// Flow client ↔ Flow server in one process (two graphs, as two applications would be):
/// <code>
///  paced_tagged_source → memif_tx ══ memif (abstract socket) ══ memif_rx → capture_sink
/// </code>
/// </summary>
[Collection(nameof(MemifCollection))]
public class MemifFlowPairTests
{
    [Theory]
    [InlineData(60)]
    [InlineData(64)]
    [InlineData(1518)]
    [InlineData(2048)]
    [InlineData(9000)]
    public async Task ClientToServerDeliversEveryFrameOnceInOrderByteForByte(int frameSize)
    {
        string socket = MemifTestNames.Socket("c2s");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = 3 });
        using MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, InterfaceId = 3 });
        Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);
        Assert.True(server.WaitConnected(MemifTestNames.Limit), server.LastDisconnectReason);

        await Transfer(client, server, frameSize, count: frameSize > 2000 ? 1000 : 3000, queues: 1);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(9000)]
    public async Task ServerToClientDeliversEveryFrameOnceInOrderByteForByte(int frameSize)
    {
        string socket = MemifTestNames.Socket("s2c");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = 1 });
        using MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, InterfaceId = 1 });
        Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);

        await Transfer(server, client, frameSize, count: frameSize > 2000 ? 1000 : 3000, queues: 1);
    }

    [Fact]
    public async Task TwoQueuePairsEachCarryTheirOwnFlowBothWays()
    {
        string socket = MemifTestNames.Socket("mq");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, QueuePairs = 2 });
        using MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, QueuePairs = 2 });
        Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);
        Assert.Equal(2, client.ConnectedQueuePairs);

        await Transfer(client, server, 64, count: 2000, queues: 2);
        await Transfer(server, client, 1518, count: 2000, queues: 2);
        Assert.Equal(2000, server.GetRxStats(1).Packets);
        Assert.Equal(2000, client.GetRxStats(1).Packets);
    }

    [Fact]
    public async Task OneServerSocketServesTwoInterfacesById()
    {
        string socket = MemifTestNames.Socket("ids");
        using MemifInterface serverA = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = 10 });
        using MemifInterface serverB = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = 11 });
        using MemifInterface clientA = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, InterfaceId = 10 });
        using MemifInterface clientB = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, InterfaceId = 11 });
        Assert.True(clientA.WaitConnected(MemifTestNames.Limit), clientA.LastDisconnectReason);
        Assert.True(clientB.WaitConnected(MemifTestNames.Limit), clientB.LastDisconnectReason);

        await Transfer(clientA, serverA, 64, count: 500, queues: 1);
        await Transfer(clientB, serverB, 64, count: 700, queues: 1);
        Assert.Equal(500, serverA.GetRxStats(0).Packets);
        Assert.Equal(700, serverB.GetRxStats(0).Packets);
    }

    [Fact]
    public async Task ClientComesBackWhenTheServerRestartsAndTrafficResumes()
    {
        string socket = MemifTestNames.Socket("restart");
        var options = new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = 5 };
        using MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, InterfaceId = 5 });
        using (MemifInterface first = MemifInterface.Create(options))
        {
            Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);
            await Transfer(client, first, 64, count: 1000, queues: 1);
        }
        Assert.True(Waits.TryUntilBlocking(() => !client.IsConnected, MemifTestNames.Limit), "the client did not notice the server went away");
        Assert.Contains("peer", client.LastDisconnectReason);

        using MemifInterface second = MemifInterface.Create(options);
        Assert.True(client.WaitConnections(2, MemifTestNames.Limit), client.LastDisconnectReason);
        Assert.Equal(1, client.Reconnects);
        await Transfer(client, second, 64, count: 1000, queues: 1);
        await Transfer(second, client, 64, count: 1000, queues: 1);
        Assert.Equal(1, client.GetTxStats(0).Reconnects);
    }

    [Fact]
    public async Task ServerKeepsServingWhenTheClientRestarts()
    {
        string socket = MemifTestNames.Socket("client-restart");
        var options = new MemifOptions { Socket = socket, Role = MemifRole.Client, InterfaceId = 6 };
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = 6 });
        using (MemifInterface first = MemifInterface.Create(options))
        {
            Assert.True(first.WaitConnected(MemifTestNames.Limit), first.LastDisconnectReason);
            await Transfer(first, server, 64, count: 500, queues: 1);
        }
        Assert.True(Waits.TryUntilBlocking(() => !server.IsConnected, MemifTestNames.Limit), "the server did not notice the client went away");
        using MemifInterface second = MemifInterface.Create(options);
        Assert.True(server.WaitConnections(2, MemifTestNames.Limit), server.LastDisconnectReason);
        await Transfer(second, server, 64, count: 500, queues: 1);
        Assert.Equal(1000, server.GetRxStats(0).Packets);
    }

    /// <summary>
    /// Sends <paramref name="count"/> tagged frames per queue from <paramref name="sender"/> to
    /// <paramref name="receiver"/> and proves each arrived once, in order, byte for byte, with
    /// both graphs balanced and no frame left outside its pool.
    /// </summary>
    internal static async Task Transfer(MemifInterface sender, MemifInterface receiver, int frameSize, long count, int queues)
    {
        var capture = new CaptureSink();
        var rxBuilder = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding).Add("capture", capture);
        var txBuilder = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding);
        var sources = new List<PacedTaggedSource>();
        var expected = new Dictionary<uint, long>();
        long[] before = new long[queues];
        for (int q = 0; q < queues; q++)
        {
            before[q] = receiver.GetRxStats(q).Packets;
        }
        for (int q = 0; q < queues; q++)
        {
            rxBuilder.Add($"rx{q}", new MemifRx(receiver, q)).Connect($"rx{q}", "capture");
            uint id = (uint)(100 + q);
            int queue = q;
            var source = new PacedTaggedSource(id, count, frameSize, ratePps: frameSize > 2000 ? 20_000 : 200_000,
                () => receiver.GetRxStats(queue).Packets - before[queue], window: frameSize > 2000 ? 64 : 256);
            sources.Add(source);
            expected[(uint)(100 + q)] = count;
            txBuilder.Add($"source{q}", source).Add($"tx{q}", new MemifTx(sender, q)).Connect($"source{q}", $"tx{q}");
        }
        using FlowGraph rx = rxBuilder.Build();
        using FlowGraph tx = txBuilder.Build();
        rx.Start();
        await tx.RunAsync().WaitAsync(MemifTestNames.Limit);
        bool all = Waits.TryUntilBlocking(() => capture.Count >= count * queues, MemifTestNames.Limit);
        await rx.StopAsync();

        GraphStats txStats = tx.GetStats();
        GraphStats rxStats = rx.GetStats();
        Assert.True(all, $"received {capture.Count} of {count * queues}; tx drops: {string.Join("; ", txStats.Stages.SelectMany(s => s.Drops).Select(d => $"{d.Reason}={d.Packets}"))}; tx: {string.Join("; ", txStats.Stages)}; rx: {string.Join("; ", rxStats.Stages)}");
        Assert.True(txStats.IsBalanced, string.Join("\n", txStats.Stages));
        Assert.True(rxStats.IsBalanced, string.Join("\n", rxStats.Stages));
        capture.AssertExactlyOnceInOrder(expected);
        foreach (byte[] frame in capture.Frames)
        {
            Assert.Equal(frameSize, frame.Length);
            long sequence = BinaryPrimitives.ReadInt64BigEndian(frame.AsSpan(TaggedSource.TagOffset + 4));
            Assert.Equal(sequence, BinaryPrimitives.ReadInt64BigEndian(frame.AsSpan(frame.Length - 8)));
            Assert.True(frame.AsSpan(TaggedSource.TagOffset + 12, frame.Length - 8 - TaggedSource.TagOffset - 12).IndexOfAnyExcept((byte)0) < 0,
                "payload bytes were altered in transit");
        }
        for (int q = 0; q < queues; q++)
        {
            Assert.Equal(count, receiver.GetRxStats(q).Packets - before[q]);
            Assert.Equal(0, sources[q].Pool.Outstanding);
        }
        foreach (PacedTaggedSource source in sources)
        {
            source.Dispose();
        }
    }
}
