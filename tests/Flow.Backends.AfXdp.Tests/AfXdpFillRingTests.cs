using Flow.Backends.AfXdp.Tests.Infrastructure;
using Xunit;

namespace Flow.Backends.AfXdp.Tests;

/// <summary>
/// A UMEM drained by frames held downstream: the kernel counts what it could not deliver, the
/// rx stage stops asking the pool until its next tick, and delivery resumes once frames return.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class AfXdpFillRingTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);

    [Fact]
    public void HeldFramesStarveTheFillRingTheKernelCountsItAndATickAfterTheirReturnResumesDelivery()
    {
        using var veth = new PeerVeth();
        using var rx = new AfXdpRx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb, FrameCount = 64, RingSize = 32 });
        byte[] frame = Frames.Make(veth.LocalMac, veth.PeerMac, 64, 4);
        var held = new List<Packet>();
        Span<Packet> packets = stackalloc Packet[32];
        Span<Next> nexts = stackalloc Next[32];

        // Two floods of 100 frames; each time only the 32 frames in the fill ring can be filled.
        for (int flood = 0; flood < 2; flood++)
        {
            KernelPeer.Send(veth, cpu: 0, count: 100, frame);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int before = held.Count;
            while (held.Count < before + 32 && clock.Elapsed < Limit)
            {
                int n = rx.Poll(packets, nexts);
                for (int i = 0; i < n; i++)
                {
                    held.Add(packets[i]);
                }
            }
        }
        rx.Poll(packets, nexts); // finds the pool empty: the refill is starved until the next tick
        AfXdpStatistics starved = rx.GetStatistics();

        Assert.Equal(64, held.Count);
        Assert.Equal(0, rx.Pool.Available);
        Assert.True(rx.Pool.AllocationFailures > 0, "the empty pool was never asked");
        Assert.True(starved.RxDropped + starved.FillRingEmpty >= 2 * 68, starved.ToString());

        rx.Pool.FreeBulk(held.ToArray());
        rx.Tick(0);
        rx.Poll(packets, nexts); // refills the fill ring from the returned frames
        KernelPeer.Send(veth, cpu: 0, count: 10, frame);
        List<byte[]> resumed = Receiver.Receive(rx, 10, Limit, f => Frames.IsTest(f));

        Assert.Equal(10, resumed.Count);
        Assert.All(resumed, f => Assert.Equal(frame[22..], f[22..]));
    }
}
