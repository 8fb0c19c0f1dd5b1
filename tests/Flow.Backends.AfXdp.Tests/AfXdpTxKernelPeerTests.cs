using Flow.Backends.AfXdp.Tests.Infrastructure;
using Flow.TestKit;
using Xunit;

namespace Flow.Backends.AfXdp.Tests;

/// <summary>
/// Frames Flow's tx stage sends are seen by a raw-socket sniffer in the namespace.
/// <code>
///   Flow AfXdpTx --- [tx ring, copy mode] --- Local &lt;==veth==&gt; Peer --- AF_PACKET sniffer
/// </code>
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class AfXdpTxKernelPeerTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);

    [Fact]
    public void UmemPacketsAndForeignPacketsAreSeenByTheSnifferByteForByte()
    {
        using var veth = new PeerVeth();
        using var foreignPool = new LeakCheckingPool(64);
        using var tx = new AfXdpTx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb });
        byte[][] frames = [.. new[] { 60, 64, 1514, 1000, 61, 333 }.Select((length, i) => Frames.Make(veth.PeerMac, veth.LocalMac, length, i))];
        var packets = new Packet[frames.Length];
        for (int i = 0; i < frames.Length; i++)
        {
            // Even frames come from the UMEM (sent in place), odd ones from another pool (copied).
            if (i % 2 == 0)
            {
                Assert.True(tx.Pool.TryAllocate(out packets[i]));
                Assert.True(packets[i].TrySetLength(frames[i].Length));
                frames[i].CopyTo(packets[i].Data);
            }
            else
            {
                packets[i] = foreignPool.Make(frames[i]);
            }
        }
        var nexts = new Next[frames.Length];
        int umemOutstandingBefore = tx.Pool.Outstanding - 3;

        using KernelPeer.Sniffer sniffer = KernelPeer.StartSniffer(veth, frames.Length, Limit);
        tx.Process(packets, nexts);
        IReadOnlyList<byte[]> seen = sniffer.Wait();

        Assert.All(nexts, n => Assert.Equal(Next.Consumed, n));
        Assert.Equal(frames.Length, seen.Count);
        for (int i = 0; i < frames.Length; i++)
        {
            Assert.Equal(frames[i], seen[i]);
        }
        AfXdpStatistics stats = tx.GetStatistics();
        Assert.Equal(frames.Length, stats.TxPackets);
        Assert.Equal(3, stats.TxCopies);
        Assert.Equal(frames.Sum(f => (long)f.Length), stats.TxBytes);
        Assert.True(stats.TxKicks > 0, "copy mode needs a sendto kick");
        Assert.Equal(0UL, stats.TxInvalidDescriptors);

        // Completions bring every frame home: the tick reaps them without more traffic.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (tx.InFlight != 0 && clock.Elapsed < Limit)
        {
            tx.Tick(0);
        }
        Assert.Equal(0, tx.InFlight);
        Assert.Equal(umemOutstandingBefore, tx.Pool.Outstanding);
    }

    [Fact]
    public void ManyTimesTheRingSizeThroughASmallTxRingEveryConsumedFrameArrivesOnceInOrder()
    {
        using var veth = new PeerVeth();
        using var source = new LeakCheckingPool(256);
        // 14 times the tx ring and 3.5 times the UMEM, yet below the peer's backlog
        // (netdev_max_backlog, 1000) should softirqs be deferred on a loaded machine.
        const int Count = 900;
        using var tx = new AfXdpTx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb, RingSize = 64, FrameCount = 256 });
        byte[] template = Frames.Make(veth.PeerMac, veth.LocalMac, 64, 3);

        using KernelPeer.Sniffer sniffer = KernelPeer.StartSniffer(veth, Count, Limit);
        var packets = new Packet[32];
        var nexts = new Next[32];
        int sent = 0;
        int dropped = 0;
        while (sent + dropped < Count)
        {
            int n = Math.Min(32, Count - sent - dropped);
            for (int i = 0; i < n; i++)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(template.AsSpan(14), sent + dropped + i);
                packets[i] = source.Make(template);
            }
            tx.Process(packets.AsSpan(0, n), nexts.AsSpan(0, n));
            for (int i = 0; i < n; i++)
            {
                if (nexts[i] == Next.Consumed)
                {
                    sent++;
                }
                else
                {
                    source.Pool.Free(packets[i]); // the graph frees dropped packets; by hand here
                    dropped++;
                }
            }
        }
        IReadOnlyList<byte[]> seen = sniffer.Wait();

        // Whatever was consumed was sent, once, in order (a drop is a full ring, never a loss).
        Assert.Equal(sent, seen.Count);
        Assert.True(sent > Count / 2, $"only {sent} of {Count} frames found a tx slot");
        long last = -1;
        foreach (byte[] frame in seen)
        {
            long sequence = System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(frame.AsSpan(14));
            Assert.True(sequence > last, $"sequence {sequence} after {last}");
            last = sequence;
        }
    }
}
