using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Tap.Tests;

/// <summary>
/// TUNSETIFF with IFF_TUN_EXCL: an interface Flow did not create is never attached to, except a
/// persistent tap made for Flow's own user.
/// </summary>
[Collection(nameof(NetnsCollection))]
public class TapDeviceOwnershipTests
{
    public TapDeviceOwnershipTests() => Shell.RequireRootAnd("ip");

    [Theory]
    [InlineData("tuntap add dev {0} mode tap user 12345")] // persistent, another user's
    [InlineData("tuntap add dev {0} mode tap multi_queue")] // persistent, no owner (a VM's, say)
    [InlineData("tuntap add dev {0} mode tun user 0")] // not a tap: a tun device, even one of this user
    public void AnExistingInterfaceThisProcessDidNotCreateIsRefusedWithTheWayOut(string create)
    {
        string name = NetnsFixture.UniqueName("tapx", 15);
        Shell.Run("ip", string.Format(System.Globalization.CultureInfo.InvariantCulture, create, name).Split(' '));
        try
        {
            IOException e = Assert.Throws<IOException>(() => TapDevice.Open(new TapOptions { Interface = name, MultiQueue = create.Contains("multi_queue", StringComparison.Ordinal) }));

            Assert.Contains($"TAP '{name}' already exists and this process did not create it", e.Message);
            Assert.Contains($"ip link del {name}", e.Message);
            Assert.DoesNotContain("UP", Shell.Run("ip", "link", "show", name).Split('>')[0]); // not brought up by Flow
        }
        finally
        {
            Shell.TryRun(TimeSpan.FromSeconds(10), "ip", "link", "del", name);
        }
    }

    [Fact]
    public void APersistentTapMadeForThisUserIsAttachedTo()
    {
        string name = NetnsFixture.UniqueName("tapu", 15);
        Shell.Run("ip", "tuntap", "add", "dev", name, "mode", "tap", "user", "0");
        try
        {
            using TapDevice device = TapDevice.Open(new TapOptions { Interface = name });

            Assert.Equal(name, device.Name);
        }
        finally
        {
            Shell.TryRun(TimeSpan.FromSeconds(10), "ip", "link", "del", name);
        }
    }
}
