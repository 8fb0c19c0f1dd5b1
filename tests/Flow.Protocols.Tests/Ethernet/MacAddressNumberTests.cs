using Flow.Protocols.Ethernet;
using FsCheck.Xunit;

namespace Flow.Protocols.Tests.Ethernet;

/// <summary><see cref="MacAddress.ToUInt64"/> and <see cref="MacAddress.FromUInt64"/>: wire byte i in bits 8i to 8i + 7, and back.</summary>
public sealed class MacAddressNumberTests
{
    [Fact]
    public void WireByteIIsBits8iTo8iPlus7()
    {
        Assert.Equal(0x0000_6655_4433_2211UL, new MacAddress(0x11, 0x22, 0x33, 0x44, 0x55, 0x66).ToUInt64());
        Assert.Equal(new MacAddress(0x11, 0x22, 0x33, 0x44, 0x55, 0x66), MacAddress.FromUInt64(0xFFFF_6655_4433_2211UL));
    }

    [Property]
    public void EveryAddressComesBackFromItsNumber(byte b0, byte b1, byte b2, byte b3, byte b4, byte b5)
    {
        var mac = new MacAddress(b0, b1, b2, b3, b4, b5);
        Assert.Equal(mac, MacAddress.FromUInt64(mac.ToUInt64()));
        Assert.True(mac.ToUInt64() < 1UL << 48);
    }
}
