using Flow.Protocols.Ethernet;
using FsCheck.Xunit;

namespace Flow.Protocols.Tests.Ethernet;

/// <summary><see cref="MacAddress.TryParse"/>: the spellings people use, and nothing near them.</summary>
public sealed class MacAddressParseTests
{
    [Theory]
    [InlineData("02:00:00:00:00:0a")]
    [InlineData("02-00-00-00-00-0A")]
    [InlineData("0200.0000.000a")]
    [InlineData("0200.0000.000A")]
    [InlineData(" 02:00:00:00:00:0A ")]
    public void ReadsTheUsualSpellings(string text)
    {
        Assert.True(MacAddress.TryParse(text, out MacAddress mac));
        Assert.Equal(new MacAddress(0x02, 0, 0, 0, 0, 0x0a), mac);
    }

    [Theory]
    [InlineData("02:00:00:00:0a")]
    [InlineData("02:00:00:00:00:0g")]
    [InlineData("02:00-00:00:00:0a")]
    [InlineData("02:00:00:00:00:0a:")]
    [InlineData("020000.00000a")]
    [InlineData("0200.0000-000a")]
    [InlineData("02.00.00.00.00.0a")]
    [InlineData("+2:00:00:00:00:0a")]
    [InlineData("02:00:00:00:00: a")]
    [InlineData("02000000000a")]
    [InlineData("")]
    public void RefusesAnythingElse(string text)
    {
        Assert.False(MacAddress.TryParse(text, out MacAddress mac));
        Assert.Equal(default, mac);
    }

    [Property(MaxTest = 300)]
    public bool ReadsBackWhatToStringWrites(byte b0, byte b1, byte b2, byte b3, byte b4, byte b5)
    {
        var mac = new MacAddress(b0, b1, b2, b3, b4, b5);
        return MacAddress.TryParse(mac.ToString(), out MacAddress parsed) && parsed == mac
            && MacAddress.TryParse(mac.ToString().ToUpperInvariant().Replace(':', '-'), out MacAddress dashed) && dashed == mac;
    }
}
