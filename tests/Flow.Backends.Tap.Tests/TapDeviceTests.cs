using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Tap.Tests;

[Collection(nameof(NetnsCollection))]
public class TapDeviceTests
{
    public TapDeviceTests() => Shell.RequireRootAnd("ip");

    [Fact]
    public void OpeningCreatesTheInterfaceWithItsMtuMacAndUpAndClosingRemovesIt()
    {
        string name = NetnsFixture.UniqueName("tap", 15);
        using (TapDevice device = TapDevice.Open(new TapOptions { Interface = name, Mtu = 1400, Mac = "02:00:00:00:77:01" }))
        {
            Assert.Equal(name, device.Name);
            string link = Shell.Run("ip", "-d", "link", "show", name);
            Assert.Contains("mtu 1400", link);
            Assert.Contains("link/ether 02:00:00:00:77:01", link);
            Assert.Matches(@"<[^>]*\bUP\b[^>]*>", link);
            Assert.Contains("tap", link);
            Assert.Contains("pi off", link);
        }
        Assert.NotEqual(0, Shell.TryRun(TimeSpan.FromSeconds(10), "ip", "link", "show", name).ExitCode);
    }

    [Fact]
    public void AMultiQueueTapOpensOneFdPerQueueAndASingleQueueTapRefusesASecond()
    {
        string name = NetnsFixture.UniqueName("tapq", 15);
        using (TapDevice q0 = TapDevice.Open(new TapOptions { Interface = name, MultiQueue = true, Queue = 0 }))
        using (TapDevice q1 = TapDevice.Open(new TapOptions { Interface = name, MultiQueue = true, Queue = 1 }))
        {
            Assert.NotEqual(q0.Fd, q1.Fd);
            Assert.Contains("multi_queue", Shell.Run("ip", "-d", "link", "show", name));
        }
        string single = NetnsFixture.UniqueName("taps", 15);
        using TapDevice only = TapDevice.Open(new TapOptions { Interface = single });
        IOException e = Assert.Throws<IOException>(() => TapDevice.Open(new TapOptions { Interface = single }));
        Assert.Contains(single, e.Message);
    }

    [Fact]
    public void RxAndTxStagesNamingTheSameTapShareOneFd()
    {
        string name = NetnsFixture.UniqueName("tapsh", 15);
        var options = new TapOptions { Interface = name };
        var rx = new TapRx(options);
        var tx = new TapTx(options);
        Assert.Same(rx.Device, tx.Device);
        rx.Dispose();
        Assert.False(tx.Device.IsClosed);
        tx.Dispose();
        Assert.True(tx.Device.IsClosed);
    }

    [Fact]
    public void AStageAskingForOtherDeviceOptionsIsRefusedButRxOnlyOptionsMayDiffer()
    {
        string name = NetnsFixture.UniqueName("tapop", 15);
        using var rx = new TapRx(new TapOptions { Interface = name, Mtu = 1400, PoolFrames = 512, InputPort = 3 });

        ArgumentException e = Assert.Throws<ArgumentException>(() => new TapTx(new TapOptions { Interface = name, Mtu = 1500 }));
        Assert.Contains($"TAP {name} queue 0 is already open with other options", e.Message, StringComparison.Ordinal);

        using var tx = new TapTx(new TapOptions { Interface = name, Mtu = 1400 });
        Assert.Same(rx.Device, tx.Device);
    }

    [Fact]
    public void ABadMacOrLongNameIsRefused()
    {
        Assert.Throws<ArgumentException>(() => TapDevice.Open(new TapOptions { Interface = "flowtapmac0", Mac = "02:00:00" }));
        Assert.Throws<ArgumentException>(() => TapDevice.Open(new TapOptions { Interface = "flowtapnametoolong0" }));
    }
}
