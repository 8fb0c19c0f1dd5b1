using Flow.Stages.Ipv4;
using Xunit;

namespace Flow.Stages.Tests.Ipv4;

public sealed class RouterInterfaceTableTests
{
    [Fact]
    public void CompilesPortsMacsAddressesAndBroadcasts()
    {
        RouterInterfaceTable table = RouterInterfaceTable.Create(RouterFrames.Interfaces());
        Assert.Equal(2, table.Count);
        Assert.Equal(0, table.IndexOfId(RouterFrames.Lan));
        Assert.Equal(1, table.IndexOfId(RouterFrames.Wan));
        Assert.Equal(-1, table.IndexOfId(2));
        Assert.Equal(-1, table.IndexOfId(ushort.MaxValue));
        Assert.Equal(RouterFrames.Mac(RouterFrames.WanMac), table.MacOf(1));
        Assert.Equal(0x0A00_0001u, table.PrimaryAddressOf(0));
        Assert.Equal(0xC000_0201u, table.PrimaryAddressOf(1));
        Assert.True(table.IsOwnAddress(0xCB00_7101));      // 203.0.113.1, the wan's second address
        Assert.False(table.IsOwnAddress(0x0A00_000A));
        Assert.True(table.IsSubnetBroadcast(0x0A00_00FF));
        Assert.True(table.IsSubnetBroadcast(0xCB00_7103)); // 203.0.113.3, broadcast of the /30
        Assert.False(table.IsSubnetBroadcast(0x0A00_0000));
    }

    [Fact]
    public void PointToPointAndHostPrefixesHaveNoBroadcast()
    {
        RouterInterfaceTable table = RouterInterfaceTable.Create(
            [new() { Name = "p2p", Mac = "02:00:00:00:00:01", Addresses = ["198.51.100.0/31", "198.51.100.9/32"] }]);
        Assert.True(table.IsOwnAddress(0xC633_6400));
        Assert.False(table.IsSubnetBroadcast(0xC633_6401));
        Assert.False(table.IsSubnetBroadcast(0xC633_6409));
    }

    [Fact]
    public void RefusesBadConfigurationNamingEveryValue()
    {
        var e = Assert.Throws<RouterConfigurationException>(() => RouterInterfaceTable.Create(
        [
            new() { Name = "lan", Mac = "02:00:00:00:00:01", Addresses = ["10.0.0.0/24", "10.0.0.1/33", "127.0.0.1/8"], Mtu = 40 },
            new() { Name = "lan", Id = 0, Mac = "01:00:5e:00:00:01", Addresses = ["10.0.1.255/24"] },
            new() { Name = "Wan", Mac = "02:00:00:00:00", Addresses = ["10.0.0.1/24", "10.0.0.1/24"] },
        ]));
        Assert.Equal(
        [
            "interface 'lan': Mtu 40 is out of range 68 to 65535",
            "interface 'lan': address '10.0.0.0/24' is the network or broadcast address of its prefix",
            "interface 'lan': address '10.0.0.1/33' is not an IPv4 address with a prefix length 1 to 32, like 192.168.1.1/24",
            "interface 'lan': address '127.0.0.1/8' is not a unicast host address (0/8, 127/8, 224/4 and 240/4 are not)",
            "interface 'lan': the name is given twice",
            "interface 'lan': Id 0 is already interface 'lan'",
            "interface 'lan': Mac 01:00:5e:00:00:01 is not a unicast address",
            "interface 'lan': address '10.0.1.255/24' is the network or broadcast address of its prefix",
            "Interfaces[2]: name 'Wan' is not valid; use lower-case letters, digits and '_', starting with a letter",
            "interface 'Wan': Mac '02:00:00:00:00' is not a MAC address like 02:00:00:00:00:01",
            "interface 'Wan': address '10.0.0.1/24' is already an address of the router",
        ], e.Errors);
    }

    [Fact]
    public void RefusesAnEmptyList()
    {
        var e = Assert.Throws<RouterConfigurationException>(() => RouterInterfaceTable.Create([]));
        Assert.Contains("Interfaces: 0 given", e.Message, StringComparison.Ordinal);
    }
}
