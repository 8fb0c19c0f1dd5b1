using Flow.Backends.Memif.Protocol;
using Flow.Backends.Memif.Tests.Peers;
using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Memif.Tests;

/// <summary>
/// Chained descriptors published the way a peer may publish them, on rings written by hand, in
/// every receive path: a chain whose last segment is not published yet is left on the ring (not
/// delivered, not consumed, its slots not given back) until it is, and a chain across the ring's
/// wrap is one frame, its segments in ring order. DPDK's memif writes chains across the wrap; the
/// testpmd interop tests see only what its ring lets through, these pin down the edge itself.
/// <code>
///  HostileMemifClient (S2M ring by hand) ══ memif ══ Flow server: memif_rx → capture
///  Flow server (idle) ══ memif ══ Flow client (M2S ring written by hand): memif_rx → capture
/// </code>
/// </summary>
[Collection(nameof(MemifCollection))]
public class MemifChainReceiveTests
{
    private const int Log2Slots = 4;
    private const int Slots = 1 << Log2Slots;
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    /// <summary>The chain both tests publish: 500 + 500 + 476 bytes, each segment its own fill.</summary>
    private static readonly (int Length, byte Fill)[] Segments = [(500, 0xA1), (500, 0xA2), (476, 0xA3)];

    [Fact]
    public async Task TheServerTakesAChainAcrossTheWrapWholeAndOnlyOnceItsLastSegmentIsPublished()
    {
        string socket = MemifTestNames.Socket("chain-wrap-srv");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = 31 });
        using HostileMemifClient peer = HostileMemifClient.Connect(socket);
        peer.Handshake(31);
        Assert.True(server.WaitConnected(MemifTestNames.Limit), server.LastDisconnectReason);
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("rx", new MemifRx(server, 0)).Add("capture", capture).Connect("rx", "capture").Build();
        graph.Start();

        // Single frames up to two slots before the wrap, so the chain takes the last two and the first.
        int first = HostileMemifClient.RingSlots - 2;
        peer.Fill(0, 64, 0x11);
        for (int i = 0; i < first; i++)
        {
            peer.Put(i, 0, peer.BufferOffset(0), 64);
        }
        peer.PublishHead((ushort)first);
        Assert.True(Waits.TryUntilBlocking(() => peer.Tail == first && capture.Count == first, MemifTestNames.Limit),
            $"tail {peer.Tail}, captured {capture.Count}");

        for (int k = 0; k < Segments.Length; k++)
        {
            peer.Fill(1 + k, Segments[k].Length, Segments[k].Fill);
            peer.Put(first + k, 0, peer.BufferOffset(1 + k), (uint)Segments[k].Length, next: k + 1 < Segments.Length);
        }
        peer.PublishHead((ushort)(first + 2));
        Assert.False(Waits.TryUntilBlocking(() => capture.Count != first || peer.Tail != first, Quiet),
            $"a chain without its last segment was taken: tail {peer.Tail}, captured {capture.Count}");

        peer.PublishHead((ushort)(first + 3));
        Assert.True(Waits.TryUntilBlocking(() => peer.Tail == first + 3 && capture.Count == first + 1, MemifTestNames.Limit),
            $"tail {peer.Tail}, captured {capture.Count}");
        await graph.StopAsync();
        AssertTheChain(capture.Frames[^1]);
        Assert.Equal(0, server.GetRxStats(0).InvalidDescriptors);
        Assert.True(graph.GetStats().IsBalanced, string.Join("\n", graph.GetStats().Stages));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TheClientTakesAChainAcrossTheWrapWholeAndOnlyOnceItsLastSegmentIsPublished(bool zeroCopy)
    {
        string socket = MemifTestNames.Socket("chain-wrap-cli");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server });
        using MemifInterface client = MemifInterface.Create(new MemifOptions
        {
            Socket = socket, Role = MemifRole.Client, ZeroCopy = zeroCopy, Log2RingSize = Log2Slots,
        });
        Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("rx", new MemifRx(client, 0)).Add("capture", capture).Connect("rx", "capture").Build();
        graph.Start();
        // The server's side of the M2S ring is written here: Flow's server sends nothing.
        Assert.True(Waits.TryUntilBlocking(() => RingHead(client) == Slots, MemifTestNames.Limit), $"the client posted {RingHead(client)} buffers");

        int first = Slots - 2;
        for (int i = 0; i < first; i++)
        {
            Fill(client, i, 64, 0x11, next: false);
        }
        PublishTail(client, first);
        // Wait for the reposted buffers too: the chain's last segment goes in slot 0 again.
        Assert.True(Waits.TryUntilBlocking(() => capture.Count == first && RingHead(client) == first + Slots, MemifTestNames.Limit),
            $"captured {capture.Count}, head {RingHead(client)}");

        for (int k = 0; k < Segments.Length; k++)
        {
            Fill(client, first + k, Segments[k].Length, Segments[k].Fill, next: k + 1 < Segments.Length);
        }
        PublishTail(client, first + 2);
        Assert.False(Waits.TryUntilBlocking(() => capture.Count != first || RingHead(client) != first + Slots, Quiet),
            $"a chain without its last segment was taken: captured {capture.Count}, head {RingHead(client)}");

        PublishTail(client, first + 3);
        Assert.True(Waits.TryUntilBlocking(() => capture.Count == first + 1 && RingHead(client) == first + 3 + Slots, MemifTestNames.Limit),
            $"captured {capture.Count}, head {RingHead(client)}");
        await graph.StopAsync();
        AssertTheChain(capture.Frames[^1]);
        Assert.Equal(0, client.GetRxStats(0).InvalidDescriptors);
        Assert.True(graph.GetStats().IsBalanced, string.Join("\n", graph.GetStats().Stages));
    }

    private static void AssertTheChain(byte[] frame)
    {
        Assert.Equal(Segments.Sum(s => s.Length), frame.Length);
        int offset = 0;
        foreach ((int length, byte fill) in Segments)
        {
            Assert.All(frame.AsSpan(offset, length).ToArray(), b => Assert.Equal(fill, b));
            offset += length;
        }
    }

    /// <summary>As the server would (client ring of <see cref="Slots"/> slots): fills the buffer the client posted in <paramref name="slot"/> and writes its length and chain flag.</summary>
    private static unsafe void Fill(MemifInterface client, int slot, int length, byte value, bool next)
    {
        MemifRingHeader* ring = client.ClientRing(s2m: false, 0);
        MemifDescriptor* d = (MemifDescriptor*)((byte*)ring + MemifConstants.RingHeaderSize) + (slot & (Slots - 1));
        new Span<byte>(client.BufferRegionBase + d->Offset, length).Fill(value);
        d->Length = (uint)length;
        d->Flags = next ? MemifConstants.DescriptorFlagNext : (ushort)0;
    }

    private static unsafe void PublishTail(MemifInterface client, int tail) => Volatile.Write(ref client.ClientRing(s2m: false, 0)->Tail, (ushort)tail);

    private static unsafe int RingHead(MemifInterface client) => Volatile.Read(ref client.ClientRing(s2m: false, 0)->Head);
}
