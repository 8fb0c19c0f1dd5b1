using Flow.Protocols.Icmp;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Tests.Infrastructure;

namespace Flow.Protocols.Tests.Views;

/// <summary>The option type bytes and the admin-prohibited code, as scapy (an independent table) encodes them.</summary>
public sealed class Ipv4OptionTypeTests
{
    [Fact]
    public void OptionTypesMatchScapysEncoding()
    {
        string bytes = ExternalTools.Run(ExternalTools.PythonWithScapy, "-c",
            "from scapy.all import *\nprint(' '.join(str(bytes(o)[0]) for o in (IPOption_RR(), IPOption_Timestamp(), IPOption_LSRR(), IPOption_SSRR(), IPOption_Router_Alert(), IPOption_NOP(), IPOption_EOL())))").Trim();
        Assert.Equal(string.Join(' ', Ipv4OptionType.RecordRoute, Ipv4OptionType.Timestamp, Ipv4OptionType.LooseSourceRoute,
            Ipv4OptionType.StrictSourceRoute, Ipv4OptionType.RouterAlert, Ipv4OptionType.NoOperation, Ipv4OptionType.EndOfList), bytes);
    }

    [Fact]
    public void OnlyTheSourceRouteOptionsAreSourceRoutes()
    {
        for (int type = 0; type < 256; type++)
        {
            Assert.Equal(type is 0x83 or 0x89, Ipv4OptionType.IsSourceRoute((byte)type));
        }
    }

    [Fact]
    public void AdministrativelyProhibitedIsCode13AsScapyNamesIt()
    {
        string name = ExternalTools.Run(ExternalTools.PythonWithScapy, "-c",
            $"from scapy.all import *\nprint(ICMP(type=3, code={IcmpType.CodeAdministrativelyProhibited}).sprintf('%ICMP.code%'))").Trim();
        Assert.Equal("communication-prohibited", name);
    }
}
