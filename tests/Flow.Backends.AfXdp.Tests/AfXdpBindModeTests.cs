using Flow.Backends.AfXdp.Tests.Infrastructure;
using Xunit;

namespace Flow.Backends.AfXdp.Tests;

/// <summary>Copy / zero-copy bind and skb / native attach on veth, which has native XDP but no zero-copy.</summary>
[Collection(nameof(NetnsCollection))]
public sealed class AfXdpBindModeTests
{
    [Fact]
    public void AutoBindFallsBackToCopyOnVethAndSaysSo()
    {
        using var veth = new PeerVeth();
        var logger = new RecordingLogger<AfXdpPort>();
        using var rx = new AfXdpRx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb, BindMode = AfXdpBindMode.Auto }, logger);

        Assert.Equal([AfXdpBindMode.Copy], rx.Port.BindModes);
        Assert.Contains(logger.Messages, m => m.StartsWith("Warning:", StringComparison.Ordinal) && m.Contains("zero-copy bind refused") && m.Contains("fell back to copy mode"));
        Assert.Contains(logger.Messages, m => m.Contains("bound in copy mode, need-wakeup True"));
    }

    [Fact]
    public void ForcedZeroCopyOnVethFailsNamingTheModeAndTheDriver()
    {
        using var veth = new PeerVeth();

        var error = Assert.Throws<AfXdpException>(() => new AfXdpRx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb, BindMode = AfXdpBindMode.ZeroCopy }));

        Assert.Contains("zero-copy mode failed", error.Message);
        Assert.Null(veth.LocalXdpMode());
    }

    [Fact]
    public void AutoAttachUsesNativeModeOnVeth()
    {
        using var veth = new PeerVeth();
        using var rx = new AfXdpRx(new AfXdpOptions { Interface = veth.Local });

        Assert.Equal(AfXdpAttachMode.Native, rx.Port.AttachMode);
        Assert.Equal("xdp", veth.LocalXdpMode());
    }

    [Fact]
    public void WithoutNeedWakeupFramesStillFlowBothWays()
    {
        using var veth = new PeerVeth();
        var options = new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Native, NeedWakeup = false };
        using var rx = new AfXdpRx(options);
        using var tx = new AfXdpTx(options);
        byte[] inbound = Frames.Make(veth.LocalMac, veth.PeerMac, 128, 1);
        byte[] outbound = Frames.Make(veth.PeerMac, veth.LocalMac, 128, 2);

        KernelPeer.ScapySend(veth, [inbound]);
        List<byte[]> received = Receiver.Receive(rx, 1, TimeSpan.FromSeconds(15), f => Frames.IsTest(f));
        using KernelPeer.Sniffer sniffer = KernelPeer.StartSniffer(veth, 1, TimeSpan.FromSeconds(15));
        Assert.True(tx.Pool.TryAllocate(out Packet packet));
        Assert.True(packet.TrySetLength(outbound.Length));
        outbound.CopyTo(packet.Data);
        var nexts = new Next[1];
        tx.Process([packet], nexts);
        IReadOnlyList<byte[]> seen = sniffer.Wait();

        Assert.Equal(inbound, Assert.Single(received));
        Assert.Equal(Next.Consumed, nexts[0]);
        Assert.Equal(outbound, Assert.Single(seen));
    }
}
