using Flow.Backends.Memif.Internal;
using Flow.Backends.Memif.Protocol;
using Flow.Backends.Memif.Tests.Peers;
using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Memif.Tests;

/// <summary>
/// Hand-written peers that attack the data path while frames are in flight, in both roles:
/// lying posted buffers, ring indices beyond what was posted, the whole shared memory (ring
/// headers, descriptors, buffers) overwritten with random bytes, and a memfd resealed or
/// truncated where the role lets the peer try. Each time Flow must stay up (its graphs keep
/// running, no stage fault), count what it refused, end the connection with a reason, and
/// then serve an honest peer byte for byte.
/// <code>
///  Flow server: generator → memif_tx ══╗                 ╔══ HostileMemifClient (scribbles, lies)
///               null_sink ← memif_rx ══╩═══ memif ═══════╝
///  Flow client: generator → memif_tx ══╗                 ╔══ HostileMemifServer (maps both regions, scribbles)
///               null_sink ← memif_rx ══╩═══ memif ═══════╝
/// </code>
/// </summary>
[Collection(nameof(MemifCollection))]
public class MemifHostileDataPathTests
{
    private const int FSealFutureWrite = 0x10;
    private static readonly TimeSpan ScribbleLimit = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task AClientScribblingItsWholeRegionWhileFramesFlowIsDisconnectedWithAReasonAndTheServerServesTheNext()
    {
        string socket = MemifTestNames.Socket("scribble-client");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = 21 });
        using (HostileMemifClient peer = HostileMemifClient.Connect(socket))
        {
            peer.Handshake(21);
            Assert.True(server.WaitConnected(MemifTestNames.Limit), server.LastDisconnectReason);
            using (Traffic traffic = Traffic.Start(server))
            {
                // Honest first: buffers posted for the server to fill, frames for it to receive.
                for (int i = 0; i < HostileMemifClient.RingSlots; i++)
                {
                    peer.Post(i, 0, peer.BufferOffset(HostileMemifClient.RingSlots + i), HostileMemifClient.BufferSize);
                    peer.Fill(i, 64, 0x11);
                    peer.Put(i, 0, peer.BufferOffset(i), 64);
                }
                peer.PublishM2SHead(HostileMemifClient.RingSlots);
                peer.PublishHead(8);
                Assert.True(Waits.TryUntilBlocking(() => server.GetRxStats(0).Packets == 8 && server.GetTxStats(0).Packets > 0, MemifTestNames.Limit),
                    $"rx {server.GetRxStats(0)}, tx {server.GetTxStats(0)}");

                Scribble(() => server.ProtocolErrors > 0, peer.Region);

                Assert.Equal(1, server.ProtocolErrors);
                Assert.StartsWith("queue 0: ", server.LastDisconnectReason);
                Assert.Equal(server.LastDisconnectReason, peer.ExpectDisconnect());
                await traffic.AssertStillRunningAndStopAsync();
            }
        }

        await HonestClientIsServed(server, socket, 21);
    }

    public static TheoryData<string, string> PostedBufferLies => new()
    {
        { "unknown region", "outside the client's regions" },
        { "past the region end", "outside the client's regions" },
        { "absurd length", "outside the client's regions" },
        { "offset overflows", "outside the client's regions" },
        { "empty buffer", "outside the client's regions" },
        { "head beyond the ring", "more than a ring ahead" },
    };

    [Theory]
    [MemberData(nameof(PostedBufferLies))]
    public async Task ALyingPostedBufferIsRefusedCountedAndDisconnectedAndTheServerServesTheNext(string lie, string reason)
    {
        string socket = MemifTestNames.Socket("posted-lie");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = 22 });
        using (HostileMemifClient peer = HostileMemifClient.Connect(socket))
        {
            peer.Handshake(22);
            Assert.True(server.WaitConnected(MemifTestNames.Limit), server.LastDisconnectReason);
            for (int i = 0; i < 4; i++)
            {
                peer.Post(i, 0, peer.BufferOffset(HostileMemifClient.RingSlots + i), HostileMemifClient.BufferSize);
            }
            switch (lie)
            {
                case "unknown region": peer.Post(2, 7, peer.BufferOffset(0), HostileMemifClient.BufferSize); break;
                case "past the region end": peer.Post(2, 0, peer.RegionSize - 100, HostileMemifClient.BufferSize); break;
                case "absurd length": peer.Post(2, 0, peer.BufferOffset(0), uint.MaxValue); break;
                case "offset overflows": peer.Post(2, 0, uint.MaxValue - 8, 64); break;
                case "empty buffer": peer.Post(2, 0, peer.BufferOffset(0), 0); break;
            }
            using (Traffic traffic = Traffic.Start(server))
            {
                peer.PublishM2SHead(lie == "head beyond the ring" ? (ushort)(HostileMemifClient.RingSlots * 4) : (ushort)4);

                Assert.Contains(reason, peer.ExpectDisconnect());
                Assert.True(Waits.TryUntilBlocking(() => !server.IsConnected, MemifTestNames.Limit));
                Assert.Equal(1, server.ProtocolErrors);
                Assert.Contains(reason, server.LastDisconnectReason);
                Assert.Equal(reason.Contains("outside") ? 1 : 0, server.GetTxStats(0).InvalidDescriptors);
                await traffic.AssertStillRunningAndStopAsync();
            }
        }

        await HonestClientIsServed(server, socket, 22);
    }

    [Fact]
    public async Task ChainsThatLieAboutTheirSegmentsAreCountedAndDroppedWhileTheLinkStays()
    {
        string socket = MemifTestNames.Socket("chain-lie");
        using MemifInterface server = MemifInterface.Create(new MemifOptions
        {
            Socket = socket, Role = MemifRole.Server, InterfaceId = 23, MaxFrameSize = 4000,
        });
        using HostileMemifClient peer = HostileMemifClient.Connect(socket);
        peer.Handshake(23);
        Assert.True(server.WaitConnected(MemifTestNames.Limit), server.LastDisconnectReason);
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("rx", new MemifRx(server, 0)).Add("capture", capture).Connect("rx", "capture").Build();
        graph.Start();

        peer.Fill(0, 2048, 0x5A);
        int slot = 0;
        // Three full buffers chained: 6144 bytes, longer than MaxFrameSize.
        peer.Put(slot++, 0, peer.BufferOffset(0), 2048, next: true);
        peer.Put(slot++, 0, peer.BufferOffset(0), 2048, next: true);
        peer.Put(slot++, 0, peer.BufferOffset(0), 2048);
        // A chain whose middle segment points outside the region.
        peer.Put(slot++, 0, peer.BufferOffset(0), 100, next: true);
        peer.Put(slot++, 0, peer.RegionSize - 10, 100, next: true);
        peer.Put(slot++, 0, peer.BufferOffset(0), 100);
        // An honest two-segment chain.
        peer.Put(slot++, 0, peer.BufferOffset(0), 1000, next: true);
        peer.Put(slot++, 0, peer.BufferOffset(0), 500);
        peer.PublishHead((ushort)slot);

        Assert.True(Waits.TryUntilBlocking(() => peer.Tail == slot && capture.Count == 1, MemifTestNames.Limit), $"tail {peer.Tail}, captured {capture.Count}");
        await graph.StopAsync();
        byte[] frame = Assert.Single(capture.Frames);
        Assert.Equal(1500, frame.Length);
        Assert.All(frame, b => Assert.Equal(0x5A, b));
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        Assert.Equal(1, stats.Stage("rx").Drops.Single(d => d.Reason == "too_long").Packets);
        Assert.Equal(1, stats.Stage("rx").Drops.Single(d => d.Reason == "invalid_descriptor").Packets);
        Assert.True(server.IsConnected, "a bad chain is dropped, not a reason to disconnect");
    }

    [Fact]
    public async Task AClientThatResealsItsRegionAndTriesToShrinkOrGrowItCannotStopTheServer()
    {
        string socket = MemifTestNames.Socket("reseal");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = 24 });
        using HostileMemifClient peer = HostileMemifClient.Connect(socket);
        // Sealed against shrinking only: the least the server accepts, every other seal still open to the peer.
        peer.Handshake(24, onlyShrinkSeal: true);
        Assert.True(server.WaitConnected(MemifTestNames.Limit), server.LastDisconnectReason);
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("rx", new MemifRx(server, 0)).Add("capture", capture).Connect("rx", "capture").Build();
        graph.Start();
        int fd = peer.Region.Fd;

        // No more writable mappings, then no growing: the server's mapping predates both.
        Assert.Equal(0, Interop.Sys.Fcntl(fd, Interop.Sys.F_ADD_SEALS, FSealFutureWrite | Interop.Sys.F_SEAL_GROW));
        Assert.NotEqual(0, Interop.Sys.Ftruncate(fd, 0));
        Assert.NotEqual(0, Interop.Sys.Ftruncate(fd, 2L * peer.RegionSize));
        Assert.NotEqual(0, Interop.Sys.Fcntl(fd, Interop.Sys.F_ADD_SEALS, 0x8)); // F_SEAL_WRITE: the mappings are live
        peer.Fill(0, 64, 0x33);
        peer.Put(0, 0, peer.BufferOffset(0), 64);
        peer.PublishHead(1);
        peer.Post(0, 0, peer.BufferOffset(HostileMemifClient.RingSlots), HostileMemifClient.BufferSize);
        peer.PublishM2SHead(1);
        using PacketPool pool = PacketPool.Create(8);
        using (var tx = new MemifTx(server, 0))
        {
            Assert.True(pool.TryAllocate(out Packet packet));
            Assert.True(packet.TrySetLength(100));
            packet.Data.Fill(0x44);
            var nexts = new Next[1];
            tx.Process([packet], nexts);
            Assert.Equal(Next.Consumed, nexts[0]);
        }

        Assert.True(Waits.TryUntilBlocking(() => capture.Count == 1, MemifTestNames.Limit), $"captured {capture.Count}");
        await graph.StopAsync();
        Assert.All(Assert.Single(capture.Frames), b => Assert.Equal(0x33, b));
        unsafe
        {
            Assert.Equal(1, Volatile.Read(ref peer.M2S->Tail)); // the server filled the posted buffer
            Assert.Equal(100u, peer.M2SDescriptors[0].Length);
            Assert.True(new ReadOnlySpan<byte>(peer.Buffer(HostileMemifClient.RingSlots), 100).IndexOfAnyExcept((byte)0x44) < 0);
        }
        Assert.True(server.IsConnected);
        Assert.Equal(0, server.ProtocolErrors);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AServerScribblingTheClientsRegionsWhileFramesFlowIsDisconnectedWithAReasonAndTheClientServesTheNext(bool zeroCopy)
    {
        string socket = MemifTestNames.Socket("scribble-server");
        using MemifInterface client = MemifInterface.Create(new MemifOptions
        {
            Socket = socket, Role = MemifRole.Client, ZeroCopy = zeroCopy, ReconnectMaxDelay = TimeSpan.FromMilliseconds(50),
        });
        using (var hostile = HostileMemifServer.Listen(socket))
        {
            var fds = new List<int>();
            var regions = new List<MemifRegion>();
            try
            {
                using MemifControlChannel c = hostile.Accept();
                HostileMemifServer.Send(c, HostileMemifServer.Hello());
                HostileMemifServer.ServeHandshake(c, fds);
                Assert.True(Waits.TryUntilBlocking(() => client.IsConnected, MemifTestNames.Limit), client.LastDisconnectReason);
                foreach (int fd in fds)
                {
                    Assert.True(Interop.Sys.TryStatFd(fd, out _, out ulong size));
                    // The seals Flow set hold against its peer: no shrinking, no growing, no new seals.
                    Assert.NotEqual(0, Interop.Sys.Ftruncate(fd, 0));
                    Assert.NotEqual(0, Interop.Sys.Ftruncate(fd, (long)size * 2));
                    Assert.NotEqual(0, Interop.Sys.Fcntl(fd, Interop.Sys.F_ADD_SEALS, FSealFutureWrite));
                    regions.Add(MemifRegion.Map(new SafeFileDescriptor(fd), size)!);
                }
                fds.Clear(); // the mappings own them now
                using (Traffic traffic = Traffic.Start(client))
                {
                    // Frames in flight: the client's tx ring fills, since this server never drains it.
                    Assert.True(Waits.TryUntilBlocking(() => client.GetTxStats(0).Packets > 0, MemifTestNames.Limit), $"tx {client.GetTxStats(0)}");

                    Scribble(() => client.ProtocolErrors > 0, [.. regions]);

                    Assert.Equal(1, client.ProtocolErrors);
                    Assert.StartsWith("queue 0: ", client.LastDisconnectReason);
                    ReceiveStatus status = c.Receive(out MemifMessage message, out int extra, (int)MemifTestNames.Limit.TotalMilliseconds);
                    MemifControlChannel.CloseFd(ref extra);
                    Assert.Equal(ReceiveStatus.Message, status);
                    Assert.Equal(MemifMessageType.Disconnect, message.Type);
                    Assert.Equal(client.LastDisconnectReason, MemifControlChannel.DisconnectReason(message));
                    await traffic.AssertStillRunningAndStopAsync();
                }
            }
            finally
            {
                regions.ForEach(r => r.Dispose());
                fds.ForEach(fd => Interop.Sys.Close(fd));
            }
        }

        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server });
        Assert.True(client.WaitConnections(2, MemifTestNames.Limit), client.LastDisconnectReason);
        await MemifFlowPairTests.Transfer(client, server, 1518, count: 500, queues: 1);
        await MemifFlowPairTests.Transfer(server, client, 9000, count: 200, queues: 1);
        Assert.Equal(0, client.RegionReuses); // every frame came home at the fault: the next server got fresh memory
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task FilledDescriptorsThatLieAreCountedAndATailPastHeadDisconnectsInBothClientModes(bool zeroCopy)
    {
        string socket = MemifTestNames.Socket("filled-lie");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server });
        using MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, ZeroCopy = zeroCopy });
        Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("rx", new MemifRx(client, 0)).Add("capture", capture).Connect("rx", "capture").Build();
        graph.Start();

        unsafe
        {
            var ring = client.ClientRing(s2m: false, 0);
            var descriptors = (MemifDescriptor*)((byte*)ring + MemifConstants.RingHeaderSize);
            new Span<byte>(client.BufferRegionBase + descriptors[3].Offset, 64).Fill(0x07);
            descriptors[0].Length = 5000;      // longer than the buffer posted
            descriptors[1].Region = 0;         // the rings' region
            descriptors[1].Length = 64;
            descriptors[2].Offset += 4096;     // not the buffer posted in that slot
            descriptors[2].Length = 64;
            descriptors[3].Length = 64;        // honest
            Volatile.Write(ref ring->Tail, (ushort)4);
        }
        Assert.True(Waits.TryUntilBlocking(() => capture.Count == 1 && client.GetRxStats(0).InvalidDescriptors == 3, MemifTestNames.Limit),
            $"captured {capture.Count}, invalid {client.GetRxStats(0).InvalidDescriptors}");
        Assert.All(Assert.Single(capture.Frames), b => Assert.Equal(0x07, b));
        unsafe
        {
            var ring = client.ClientRing(s2m: false, 0);
            Volatile.Write(ref ring->Tail, (ushort)(4 + 5000));
        }
        Assert.True(client.WaitConnections(2, MemifTestNames.Limit), client.LastDisconnectReason);
        Assert.Contains("ran past the head", client.LastDisconnectReason);
        Assert.Equal(1, client.ProtocolErrors);
        Assert.Equal(GraphState.Running, graph.State);
        await graph.StopAsync();
        Assert.True(graph.GetStats().IsBalanced);

        await MemifFlowPairTests.Transfer(server, client, 1518, count: 500, queues: 1);
    }

    /// <summary>Random bytes over every region, again and again, until <paramref name="done"/> (bounded).</summary>
    private static unsafe void Scribble(Func<bool> done, params MemifRegion[] regions)
    {
        var random = new Random(1234);
        long deadline = Environment.TickCount64 + (long)ScribbleLimit.TotalMilliseconds;
        while (!done())
        {
            Assert.True(Environment.TickCount64 < deadline, "Flow did not end the connection while its memory was scribbled over");
            foreach (MemifRegion region in regions)
            {
                random.NextBytes(new Span<byte>(region.Base, (int)region.Size));
            }
            Thread.Sleep(1);
        }
    }

    /// <summary>An honest Flow client on the same id: frames both ways, byte for byte.</summary>
    private static async Task HonestClientIsServed(MemifInterface server, string socket, uint id)
    {
        using MemifInterface honest = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, InterfaceId = id });
        Assert.True(honest.WaitConnected(MemifTestNames.Limit), honest.LastDisconnectReason);
        await MemifFlowPairTests.Transfer(honest, server, 1518, count: 500, queues: 1);
        await MemifFlowPairTests.Transfer(server, honest, 9000, count: 200, queues: 1);
    }

    /// <summary>Both directions of one interface busy: generator → memif_tx, memif_rx → null_sink, on one worker.</summary>
    private sealed class Traffic : IDisposable
    {
        private readonly FlowGraph _graph;

        private Traffic(FlowGraph graph) => _graph = graph;

        public static Traffic Start(MemifInterface memif)
        {
            FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
                .Add("gen", new Generator(new GeneratorOptions { Count = 100_000_000, RatePps = 100_000, FrameSize = 200 }))
                .Add("tx", new MemifTx(memif, 0))
                .Add("rx", new MemifRx(memif, 0)).Add("sink", new NullSink())
                .Connect("gen", "tx").Connect("rx", "sink").Build();
            graph.Start();
            return new Traffic(graph);
        }

        /// <summary>The graph survived: still running, no stage faulted; then it stops and balances.</summary>
        public async Task AssertStillRunningAndStopAsync()
        {
            Assert.Equal(GraphState.Running, _graph.State);
            await _graph.StopAsync();
            GraphStats stats = _graph.GetStats();
            Assert.DoesNotContain(stats.Stages.SelectMany(s => s.Drops), d => d.Reason == "stage_fault" && d.Packets > 0);
            Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        }

        public void Dispose() => _graph.Dispose();
    }
}
