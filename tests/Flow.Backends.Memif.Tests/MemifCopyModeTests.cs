using Flow.Backends.Memif.Internal;
using Flow.Backends.Memif.Tests.Peers;
using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Memif.Tests;

/// <summary>
/// Client copy mode (<see cref="MemifOptions.ZeroCopy"/> off), against real peers:
/// <code>
///  paced_tagged_source → memif_tx (copy client) ══ memif ══ Flow server: memif_rx → capture
///  Flow server: paced_tagged_source → memif_tx ══ memif ══ memif_rx (copy client) → capture
///  paced_tagged_source → memif_tx (copy client) ══ memif ══ testpmd (server, io, loop) ══╗
///                        capture ← memif_rx (copy client) ══════════════════════════════╝
/// </code>
/// and what copy mode promises: a packet received is out of the server's reach, and each
/// connection's buffer region is a new memfd that Flow unmaps when the connection ends.
/// </summary>
[Collection(nameof(MemifCollection))]
public class MemifCopyModeTests
{
    private static MemifOptions CopyClient(string socket, uint id = 0) => new()
    {
        Socket = socket, Role = MemifRole.Client, InterfaceId = id, ZeroCopy = false, ReconnectMaxDelay = TimeSpan.FromMilliseconds(50),
    };

    [Theory]
    [InlineData(60)]
    [InlineData(1518)]
    [InlineData(2048)]
    [InlineData(9000)]
    public async Task CopyClientToFlowServerDeliversEveryFrameOnceByteForByte(int frameSize)
    {
        string socket = MemifTestNames.Socket("copy-c2s");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = 3 });
        using MemifInterface client = MemifInterface.Create(CopyClient(socket, 3));
        Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);
        Assert.Null(client.SharedPool);
        long count = frameSize > 2000 ? 1000 : 3000;

        await MemifFlowPairTests.Transfer(client, server, frameSize, count, queues: 1);

        Assert.Equal(count, client.GetTxStats(0).Copies);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(1518)]
    [InlineData(9000)]
    public async Task FlowServerToCopyClientDeliversEveryFrameOnceByteForByte(int frameSize)
    {
        string socket = MemifTestNames.Socket("copy-s2c");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = 1 });
        using MemifInterface client = MemifInterface.Create(CopyClient(socket, 1));
        Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);
        long count = frameSize > 2000 ? 1000 : 3000;

        await MemifFlowPairTests.Transfer(server, client, frameSize, count, queues: 1);

        Assert.Equal(count, client.GetRxStats(0).Copies);
        Assert.Equal(0, client.GetRxStats(0).InvalidDescriptors);
    }

    /// <summary>
    /// DPDK 22.11's memif PMD caps frames at 1518 bytes (testpmd refuses a larger max-pkt-len),
    /// so chains come from small buffers here; jumbo frames are covered against Flow's server.
    /// </summary>
    [Theory]
    [InlineData(64, 2048)]
    [InlineData(1518, 1024)]
    [InlineData(1518, 512)]
    public async Task TestpmdServerEchoesEveryFrameOfACopyClientByteForByte(int frameSize, int bufferSize)
    {
        string socket = MemifTestNames.Socket("copy-pmd");
        // io forwarding on one port with the loop topology: testpmd sends back on the memif port
        // what it received there, so both directions of the copy client cross DPDK's PMD.
        // --no-flush-rx: a frame that arrives while forwarding starts is forwarded, not drained.
        using Testpmd testpmd = MemifTestpmd.Start($"role=server,id=0,socket={socket}", "io",
            extra: "--port-topology=loop --no-flush-rx");
        // Buffers smaller than the frame: 1518-byte frames go out and come back as chains of 2 or 3.
        using MemifInterface client = MemifInterface.Create(CopyClient(socket) with { BufferSize = bufferSize });
        Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);
        Assert.True(testpmd.WaitLinkUp(), testpmd.Output);
        testpmd.StartForwarding();

        try
        {
            await MemifFlowPairTests.Transfer(client, client, frameSize, count: 2000, queues: 1);
        }
        catch (TimeoutException)
        {
            // Frames lost on the way round: say which side had them last.
            testpmd.Send("show port xstats 0");
            Waits.TryUntilBlocking(() => testpmd.Output.Contains("tx_good_packets"), TimeSpan.FromSeconds(5));
            Assert.Fail($"no echo of every frame: rx {client.GetRxStats(0)}, tx {client.GetTxStats(0)}; testpmd: {testpmd.Output}");
        }

        Assert.Equal(0, client.GetRxStats(0).InvalidDescriptors);
        Assert.Equal(2000, client.GetRxStats(0).Copies);
    }

    [Fact]
    public async Task InCopyModeAServerScribblingTheBufferRegionCannotChangePacketsAlreadyReceived()
    {
        (byte[][] before, byte[][] after) = await ScribbleAfterReceive(zeroCopy: false);

        for (int i = 0; i < before.Length; i++)
        {
            Assert.True(before[i].AsSpan().SequenceEqual(after[i]), $"packet {i} changed after the server scribbled the buffers");
        }
    }

    /// <summary>
    /// The other side of the trade, documented in docs/memif.md: in zero-copy mode a received
    /// packet is the server's buffer, so what the server writes later is what the graph forwards.
    /// (Its metadata is private: length, offsets and the frame it points at do not change.)
    /// </summary>
    [Fact]
    public async Task InZeroCopyModeAServerScribblingTheBufferRegionChangesPacketsStillInTheGraph()
    {
        (byte[][] before, byte[][] after) = await ScribbleAfterReceive(zeroCopy: true);

        for (int i = 0; i < before.Length; i++)
        {
            Assert.Equal(before[i].Length, after[i].Length);
            Assert.All(after[i], b => Assert.Equal(0xEE, b));
        }
    }

    [Fact]
    public void CopyModeRefusesABufferGroupWhoseRegionOutlivesConnections()
    {
        var refused = Assert.Throws<ArgumentException>(() =>
            MemifInterface.Create(CopyClient(MemifTestNames.Socket("copy-group")) with { BufferGroup = "copy-group" }));
        Assert.Contains("ZeroCopy: copy mode gives each connection its own buffer region", refused.Message);
    }

    [Fact]
    public void InCopyModeEachConnectionGetsANewBufferRegionAndTheOldOneIsUnmapped()
    {
        string socket = MemifTestNames.Socket("copy-fresh");
        using var hostile = HostileMemifServer.Listen(socket);
        using MemifInterface client = MemifInterface.Create(CopyClient(socket));
        var first = new List<int>();
        var second = new List<int>();
        ulong[] mine = new ulong[2];
        try
        {
            int round = 0;
            foreach (List<int> regionFds in new[] { first, second })
            {
                using MemifControlChannel c = hostile.Accept();
                HostileMemifServer.Send(c, HostileMemifServer.Hello());
                HostileMemifServer.ServeHandshake(c, regionFds);
                Assert.True(Waits.TryUntilBlocking(() => client.IsConnected, MemifTestNames.Limit), client.LastDisconnectReason);
                mine[round++] = MemifTestNames.Inode(client.CopyRegionFd);
                HostileMemifServer.Send(c, HostileMemifServer.Disconnect("next"));
                Assert.True(Waits.TryUntilBlocking(() => !client.IsConnected, MemifTestNames.Limit));
            }
            Assert.Equal(2, first.Count);
            Assert.Equal(2, second.Count);
            ulong old = MemifTestNames.Inode(first[1]);
            Assert.Equal(mine[0], old); // region 1 of the first connection is the client's copy region then
            Assert.Equal(mine[1], MemifTestNames.Inode(second[1]));
            Assert.NotEqual(old, MemifTestNames.Inode(second[1]));
            // Gone from Flow's address space: what the first server still writes through its fd
            // lands in memory nobody in Flow reads.
            Assert.False(MemifTestNames.IsMapped(old), "the first connection's buffer region is still mapped");
            Assert.False(MemifTestNames.IsMapped(mine[1]), "the second connection's buffer region outlived it");
        }
        finally
        {
            first.Concat(second).ToList().ForEach(fd => Interop.Sys.Close(fd));
        }
    }

    /// <summary>
    /// A Flow server sends 16 patterned frames to a client that keeps them (a graph still holding
    /// packets); then the server's side of the shared memory — region 1, all of it — is overwritten
    /// with 0xEE, as the server process could through its mapping. Returns the held packets'
    /// bytes before and after.
    /// </summary>
    private static async Task<(byte[][] Before, byte[][] After)> ScribbleAfterReceive(bool zeroCopy)
    {
        const int Count = 16;
        const int Length = 200;
        string socket = MemifTestNames.Socket("scribble");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server });
        using MemifInterface client = MemifInterface.Create(CopyClient(socket) with { ZeroCopy = zeroCopy });
        Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);
        var hold = new HoldSink();
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("rx", new MemifRx(client, 0)).Add("hold", hold).Connect("rx", "hold").Build();
        graph.Start();
        using PacketPool pool = PacketPool.Create(64);
        using (var tx = new MemifTx(server, 0))
        {
            var packets = new Packet[Count];
            var nexts = new Next[Count];
            for (int i = 0; i < Count; i++)
            {
                Assert.True(pool.TryAllocate(out packets[i]));
                Assert.True(packets[i].TrySetLength(Length));
                packets[i].Data.Fill((byte)(i + 1));
            }
            tx.Process(packets, nexts);
            Assert.All(nexts, next => Assert.Equal(Next.Consumed, next));
        }
        Assert.True(Waits.TryUntilBlocking(() => hold.Count == Count, MemifTestNames.Limit), $"held {hold.Count} of {Count}");
        await graph.StopAsync();
        Packet[] held = hold.Take();
        try
        {
            byte[][] before = held.Select(p => p.Data.ToArray()).ToArray();
            for (int i = 0; i < Count; i++)
            {
                Assert.All(before[i], b => Assert.Equal((byte)(i + 1), b));
            }
            unsafe
            {
                byte* region = client.BufferRegionBase;
                for (ulong offset = 0; offset < client.BufferRegionSize; offset += int.MaxValue)
                {
                    new Span<byte>(region + offset, (int)Math.Min(int.MaxValue, client.BufferRegionSize - offset)).Fill(0xEE);
                }
            }
            byte[][] after = held.Select(p => p.Data.ToArray()).ToArray();
            Assert.Equal(zeroCopy ? 0 : Count, client.GetRxStats(0).Copies);
            return (before, after);
        }
        finally
        {
            PacketPools.Free(held);
        }
    }

    /// <summary>Keeps every packet it gets (ownership taken, nothing freed until the test takes them).</summary>
    private sealed class HoldSink : Stage<NoOutput, NoDrop>
    {
        private readonly List<Packet> _held = [];

        public int Count
        {
            get
            {
                lock (_held)
                {
                    return _held.Count;
                }
            }
        }

        public Packet[] Take()
        {
            lock (_held)
            {
                Packet[] packets = [.. _held];
                _held.Clear();
                return packets;
            }
        }

        public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
        {
            lock (_held)
            {
                foreach (Packet packet in packets)
                {
                    _held.Add(packet);
                }
            }
            nexts.Slice(0, packets.Length).Fill(Next.Consumed);
        }
    }
}
