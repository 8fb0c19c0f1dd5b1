using Flow.Stages.Ipv4;
using Flow.Stages.Ipv4.Internal;
using Flow.Stages.Routing;
using Flow.Stages.Tests.Routing;
using Xunit;
using static Flow.Stages.Tests.Routing.RouterControlGraph;

namespace Flow.Stages.Tests.Ipv4;

/// <summary><c>addr show</c> by hand: declared by ipv4_input, one row per address, and one answer when several ipv4_input stages hold the same interfaces.</summary>
public sealed class AddressControlCommandsTests : IDisposable
{
    private readonly Ipv4RouteTable _table = new(new Ipv4RouteTableOptions { Fib = new Ipv4FibOptions { Tbl8Groups = 8 } });

    public void Dispose() => _table.Dispose();

    private static IControlCommand AddrShow => AddressControlCommands.All.Command("addr show");

    private static IReadOnlyList<RouterInterfaceOptions> Interfaces() =>
    [
        new() { Name = "lan", Mac = "02-00-00-00-01-0A", Addresses = ["192.168.1.1/24", "10.0.0.1/32"] },
        new() { Name = "wan", Id = 5, Mac = "02:00:00:00:02:01", Addresses = ["192.168.100.2/30"], Mtu = 1400 },
        new() { Name = "dmz", Mac = "02:00:00:00:03:01" },
    ];

    private PathOptions Path(IReadOnlyList<RouterInterfaceOptions> interfaces) => new(interfaces, new Ipv4Lookup(_table));

    [Fact]
    public void Ipv4InputDeclaresAddrShow()
    {
        IControlledStage input = new Ipv4Validator(new Ipv4ValidatorOptions { Interfaces = Interfaces() });
        Assert.Equal(["addr show"], input.ControlCommands.Select(c => c.Name));
        Assert.Empty(AddrShow.Arguments);
    }

    [Fact]
    public async Task AddrShowListsEachAddressWithItsInterfacePortMacAndMtu()
    {
        using FlowGraph graph = Build(Path(Interfaces()));
        ControlReply reply = await graph.RunAsync(AddrShow);
        Assert.Equal(["interface", "port", "address", "mac", "mtu"], reply.Columns);
        Assert.Equal(
        [
            "lan 0 192.168.1.1/24 02:00:00:00:01:0a 1500",
            "lan 0 10.0.0.1/32 02:00:00:00:01:0a 1500",
            "wan 5 192.168.100.2/30 02:00:00:00:02:01 1400",
            "dmz 2 - 02:00:00:00:03:01 1500",
        ], reply.Lines());
        Assert.Equal("ipv4_input: 3 interfaces, 3 addresses", reply.Message);
    }

    [Fact]
    public async Task SeveralInputsWithTheSameInterfacesAnswerOnceAndOtherwiseAskForStage()
    {
        using (FlowGraph same = Build(Path(Interfaces()), Path([.. Interfaces()])))
        {
            ControlReply reply = await same.RunAsync(AddrShow);
            Assert.Equal("ipv4_input: 3 interfaces, 3 addresses", reply.Message);
            Assert.Equal(4, reply.Rows.Count);
        }

        IReadOnlyList<RouterInterfaceOptions> changed = [.. Interfaces().Select(i => i.Name == "wan" ? i with { Mtu = 9000 } : i)];
        using FlowGraph different = Build(Path(Interfaces()), Path(changed));
        Assert.Equal("2 stages serve 'addr show' ('ipv4_input', 'ipv4_input_2') with different interfaces; choose one with --stage <name>",
            (await Assert.ThrowsAsync<ControlCommandException>(() => different.RunAsync(AddrShow))).Message);
        ControlReply second = await different.RunAsync(AddrShow, "ipv4_input_2");
        Assert.Equal("ipv4_input_2: 3 interfaces, 3 addresses", second.Message);
        Assert.Equal("wan 5 192.168.100.2/30 02:00:00:00:02:01 9000", second.Lines()[2]);
    }
}
