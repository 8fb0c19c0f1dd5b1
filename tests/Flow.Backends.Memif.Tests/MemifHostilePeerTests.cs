using System.Text;
using Flow.Backends.Memif.Protocol;
using Flow.Backends.Memif.Tests.Peers;
using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Memif.Tests;

/// <summary>
/// A malicious client against a Flow server: every bad message ends only that connection,
/// with a DISCONNECT naming the reason; every bad descriptor is counted and dropped; the
/// server keeps serving good clients afterwards.
/// </summary>
[Collection(nameof(MemifCollection))]
public class MemifHostilePeerTests
{
    [Fact]
    public async Task GarbageMessagesAreRefusedWithAReasonAndTheServerKeepsServing()
    {
        string socket = MemifTestNames.Socket("garbage");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = 9 });

        using (HostileMemifClient peer = HostileMemifClient.Connect(socket))
        {
            MemifMessage unknown = default;
            unknown.Type = (MemifMessageType)77;
            peer.Send(unknown);
            Assert.Contains("before INIT", peer.ExpectDisconnect());
        }
        using (HostileMemifClient peer = HostileMemifClient.Connect(socket))
        {
            peer.SendRaw(Encoding.ASCII.GetBytes("not a memif message"));
            Assert.Contains("malformed", peer.ExpectDisconnect());
        }
        using (HostileMemifClient peer = HostileMemifClient.Connect(socket))
        {
            peer.Send(HostileMemifClient.Init(12345));
            Assert.Equal("ID not found", peer.ExpectDisconnect());
        }
        using (HostileMemifClient peer = HostileMemifClient.Connect(socket))
        {
            MemifMessage init = HostileMemifClient.Init(9);
            init.Init.Version = 0x0100;
            peer.Send(init);
            Assert.Contains("incompatible memif version", peer.ExpectDisconnect());
        }
        using (HostileMemifClient peer = HostileMemifClient.Connect(socket))
        {
            peer.Send(HostileMemifClient.Init(9));
            Assert.Equal(MemifMessageType.Ack, peer.Receive().Type);
            MemifMessage region = default;
            region.Type = MemifMessageType.AddRegion;
            region.AddRegion.Size = 1 << 20;
            peer.Send(region); // no fd
            Assert.Equal("missing region fd", peer.ExpectDisconnect());
        }
        using (HostileMemifClient peer = HostileMemifClient.Connect(socket))
        {
            var refused = Assert.Throws<HostileMemifClient.RefusedException>(() => peer.Handshake(9, sealRegion: false));
            Assert.Contains("not sealed", refused.Message);
        }
        // Errors before INIT named this interface are the listener's (logged); these two are the interface's.
        Assert.Equal(2, server.ProtocolErrors);
        Assert.Contains("not sealed", server.LastDisconnectReason);
        Assert.False(server.IsConnected);

        using MemifInterface good = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, InterfaceId = 9 });
        Assert.True(good.WaitConnected(MemifTestNames.Limit), good.LastDisconnectReason);
        await MemifFlowPairTests.Transfer(good, server, 64, count: 500, queues: 1);
    }

    [Fact]
    public async Task DescriptorsOutsideTheRegionOrBeyondLimitsAreCountedAndDroppedAndValidOnesStillArrive()
    {
        string socket = MemifTestNames.Socket("bad-desc");
        using MemifInterface server = MemifInterface.Create(new MemifOptions
        {
            Socket = socket, Role = MemifRole.Server, InterfaceId = 2, MaxChainLength = 8, MaxFrameSize = 9216,
        });
        using HostileMemifClient peer = HostileMemifClient.Connect(socket);
        peer.Handshake(2);
        Assert.True(server.WaitConnected(MemifTestNames.Limit), server.LastDisconnectReason);

        var capture = new CaptureSink();
        var rx = new MemifRx(server, 0);
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("rx", rx).Add("capture", capture).Connect("rx", "capture").Build();
        graph.Start();

        peer.Fill(0, 64, 0xAB);
        int slot = 0;
        peer.Put(slot++, region: 7, offset: peer.BufferOffset(1), length: 64);             // unknown region
        peer.Put(slot++, region: 0, offset: peer.RegionSize - 10, length: 64);              // runs past the region end
        peer.Put(slot++, region: 0, offset: peer.BufferOffset(2), length: uint.MaxValue);   // absurd length
        peer.Put(slot++, region: 0, offset: uint.MaxValue - 8, length: 64);                 // offset + length overflows 32 bits
        for (int i = 0; i < 12; i++)
        {
            peer.Put(slot++, region: 0, offset: peer.BufferOffset(3), length: 64, next: true); // chain longer than 8
        }
        peer.Put(slot++, region: 0, offset: peer.BufferOffset(3), length: 64);             // end of that chain
        peer.Put(slot++, region: 0, offset: peer.BufferOffset(0), length: 64);             // the one good packet
        peer.PublishHead((ushort)slot);

        Assert.True(Waits.TryUntilBlocking(() => peer.Tail == slot, MemifTestNames.Limit), $"the server consumed up to {peer.Tail} of {slot}");
        Assert.True(Waits.TryUntilBlocking(() => capture.Count == 1, MemifTestNames.Limit), $"captured {capture.Count}");
        await graph.StopAsync();

        byte[] frame = Assert.Single(capture.Frames);
        Assert.Equal(64, frame.Length);
        Assert.All(frame, b => Assert.Equal(0xAB, b));
        MemifQueueStats stats = server.GetRxStats(0);
        Assert.True(stats.InvalidDescriptors >= 5, $"invalid descriptors counted: {stats.InvalidDescriptors}");
        GraphStats graphStats = graph.GetStats();
        Assert.True(graphStats.IsBalanced, string.Join("\n", graphStats.Stages));
        Assert.Equal(stats.InvalidDescriptors, graphStats.Stage("rx").Drops.Single(d => d.Reason == "invalid_descriptor").Packets);
        Assert.True(server.IsConnected, "bad descriptors are dropped, not a reason to disconnect");
    }

    [Fact]
    public void AHeadThatJumpsMoreThanARingIsAProtocolErrorThatDisconnectsOnlyThatPeer()
    {
        string socket = MemifTestNames.Socket("bad-head");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = 4 });
        using HostileMemifClient peer = HostileMemifClient.Connect(socket);
        peer.Handshake(4);
        Assert.True(server.WaitConnected(MemifTestNames.Limit), server.LastDisconnectReason);
        var rx = new MemifRx(server, 0);
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("rx", rx).Add("sink", new NullSink()).Connect("rx", "sink").Build();
        graph.Start();

        peer.PublishHead(HostileMemifClient.RingSlots * 4);

        string reason = peer.ExpectDisconnect();
        Assert.Contains("more than a ring ahead", reason);
        Assert.True(Waits.TryUntilBlocking(() => !server.IsConnected, MemifTestNames.Limit));
        Assert.Equal(1, server.ProtocolErrors);
        Assert.Equal(GraphState.Running, graph.State);
    }

    [Fact]
    public void APeerThatVanishesMidHandshakeIsForgottenAndItsIdCanConnectAgain()
    {
        string socket = MemifTestNames.Socket("vanish");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = 8 });
        using (HostileMemifClient peer = HostileMemifClient.Connect(socket))
        {
            peer.Send(HostileMemifClient.Init(8));
            Assert.Equal(MemifMessageType.Ack, peer.Receive().Type);
        }
        using MemifInterface good = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, InterfaceId = 8 });
        Assert.True(good.WaitConnected(MemifTestNames.Limit), good.LastDisconnectReason);
    }
}

/// <summary>
/// A server that lies to a Flow client: the test writes the M2S ring (the server's side) of a
/// connected Flow client directly, as a malicious server process could through the shared memory.
/// </summary>
[Collection(nameof(MemifCollection))]
public class MemifHostileServerTests
{
    [Fact]
    public async Task BadFilledDescriptorsAreCountedAndATailPastHeadDisconnectsAndTheClientReconnects()
    {
        string socket = MemifTestNames.Socket("bad-server");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server });
        using MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client });
        int disconnects = 0;
        client.Disconnected += (_, _) => Interlocked.Increment(ref disconnects);
        Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("rx", new MemifRx(client, 0)).Add("capture", capture).Connect("rx", "capture").Build();
        graph.Start();

        Lie(client, step: 1);
        Assert.True(Waits.TryUntilBlocking(() => capture.Count == 1 && client.GetRxStats(0).InvalidDescriptors == 3, MemifTestNames.Limit),
            $"captured {capture.Count}, invalid {client.GetRxStats(0).InvalidDescriptors}");
        Lie(client, step: 2);
        Assert.True(Waits.TryUntilBlocking(() => disconnects == 1, MemifTestNames.Limit), "a tail past head must end the connection");
        Assert.Contains("ran past the head", client.LastDisconnectReason);
        Assert.Equal(1, client.ProtocolErrors);
        Assert.True(client.WaitConnections(2, MemifTestNames.Limit), client.LastDisconnectReason);
        await graph.StopAsync();
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));

        await MemifFlowPairTests.Transfer(server, client, 64, count: 500, queues: 1);
    }

    [Fact]
    public void ATxRingFaultReturnsTheFramesInFlightToThePool()
    {
        string socket = MemifTestNames.Socket("tx-fault");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server });
        using MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client });
        Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);
        PacketPool pool = client.SharedPool!;
        int posted = pool.Outstanding; // the rx buffers posted on the M2S ring
        using var tx = new MemifTx(client, 0);

        Send(tx, pool, 10); // nobody serves the S2M ring: all ten stay in flight
        Assert.Equal(posted + 10, pool.Outstanding);
        LieAboutTxTail(client);
        Send(tx, pool, 1); // the worker sees the lie, faults the ring and drops this one as link_down

        Assert.True(client.WaitConnections(2, MemifTestNames.Limit), client.LastDisconnectReason);
        Assert.Contains("ran past the head", client.LastDisconnectReason);
        Assert.Equal(posted, pool.Outstanding);
    }

    /// <summary>Drives the tx stage by hand with <paramref name="count"/> 64-byte frames, freeing what it drops.</summary>
    private static void Send(MemifTx tx, PacketPool pool, int count)
    {
        var packets = new Packet[count];
        var nexts = new Next[count];
        for (int i = 0; i < count; i++)
        {
            Assert.True(pool.TryAllocate(out packets[i]));
            Assert.True(packets[i].TrySetLength(64));
        }
        tx.Process(packets, nexts);
        for (int i = 0; i < count; i++)
        {
            if (nexts[i] != Next.Consumed)
            {
                pool.Free(packets[i]);
            }
        }
    }

    /// <summary>Plays the server: returns far more S2M buffers than were ever sent.</summary>
    private static unsafe void LieAboutTxTail(MemifInterface client)
    {
        var ring = client.ClientRing(s2m: true, 0);
        Volatile.Write(ref ring->Tail, (ushort)(Volatile.Read(ref ring->Head) + 5000));
    }

    [Fact]
    public async Task MetadataAServerWroteIntoAPostedFrameDoesNotSurviveTheReceive()
    {
        string socket = MemifTestNames.Socket("meta-server");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server });
        using MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, InputPort = 3 });
        Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);
        var sink = new MetaSink();
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("rx", new MemifRx(client, 0)).Add("sink", sink).Connect("rx", "sink").Build();
        graph.Start();

        FillPostedFrameAsAServerMight(client);

        Assert.True(Waits.TryUntilBlocking(() => sink.Received is not null, MemifTestNames.Limit), "the frame did not arrive");
        await graph.StopAsync();
        PacketMeta meta = sink.Received!.Value;
        Assert.Equal((64, (ushort)3, PacketFlags.L2Valid, (ushort)PacketPool.DefaultDataOffset), (meta.Length, meta.InputPort, meta.Flags, meta.DataOffset));
        Assert.Equal((0u, 0UL, 0u, (ushort)0, 0L, 0UL), (meta.NextHop, meta.UserWord, meta.Hash, meta.VlanTci, meta.Timestamp, meta.Sequence));
        Assert.Equal((0, 0, 0), (meta.L2Offset, meta.L3Offset, meta.L4Offset));
        Assert.Equal(client.SharedPool!.Id, meta.PoolId);
        Assert.Equal(0, client.SharedPool.InvalidFrees);
    }

    /// <summary>
    /// Plays the server: a 64-byte frame in the buffer posted in slot 0, and garbage over the
    /// frame's headroom (the shared bytes before the data, where metadata lived before ADR 006;
    /// the receive must not take anything from there).
    /// </summary>
    private static unsafe void FillPostedFrameAsAServerMight(MemifInterface client)
    {
        var ring = client.ClientRing(s2m: false, 0);
        var descriptors = (MemifDescriptor*)((byte*)ring + MemifConstants.RingHeaderSize);
        byte* buffer = client.BufferRegionBase + descriptors[0].Offset;
        new Span<byte>(buffer - PacketPool.DefaultDataOffset, PacketMeta.Size).Fill(0xAB);
        new Span<byte>(buffer, 64).Fill(0x02);
        descriptors[0].Length = 64;
        Volatile.Write(ref ring->Tail, (ushort)1);
    }

    /// <summary>Keeps the metadata of the first packet, frees everything.</summary>
    private sealed class MetaSink : Stage<NoOutput, NoDrop>
    {
        private PacketMeta? _received;

        public PacketMeta? Received
        {
            get
            {
                lock (this)
                {
                    return _received;
                }
            }
        }

        public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
        {
            lock (this)
            {
                _received ??= packets[0].Meta;
            }
            PacketPools.Free(packets);
            nexts.Slice(0, packets.Length).Fill(Next.Consumed);
        }
    }

    private static unsafe void Lie(MemifInterface client, int step)
    {
        var ring = client.ClientRing(s2m: false, 0);
        var descriptors = (MemifDescriptor*)((byte*)ring + MemifConstants.RingHeaderSize);
        if (step == 1)
        {
            descriptors[0].Length = 5000;      // longer than the 2048-byte buffer posted
            descriptors[1].Region = 0;         // the rings' region, not the buffers'
            descriptors[1].Length = 64;
            descriptors[2].Offset += 4096;     // not the buffer that was posted in that slot
            descriptors[2].Length = 64;
            descriptors[3].Length = 64;        // honest
            Volatile.Write(ref ring->Tail, (ushort)4);
        }
        else
        {
            Volatile.Write(ref ring->Tail, (ushort)(4 + 5000));
        }
    }
}
