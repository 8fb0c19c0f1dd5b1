using Flow.Hosting.Live;
using Xunit;

namespace Flow.Hosting.Tests.Live;

/// <summary>The capture and trace filter language against hand-made frames, and its refusals.</summary>
public sealed class PacketFilterTests
{
    /// <summary>02:..:03 > 02:..:04, IPv4 10.0.0.3 > 10.0.0.4 ICMP echo request.</summary>
    private static readonly byte[] s_icmp = Convert.FromHexString(
        "02000000000402000000000308004500003c00010000400166ba0a0000030a0000040800319d12340001666c6f772d74726163652d69636d7021666c6f772d74726163652d69636d7021");

    /// <summary>02:..:01 > 02:..:02, VLAN 10, IPv4 192.168.1.5:5353 > 192.168.1.9:53 UDP.</summary>
    private static readonly byte[] s_vlanUdp = Convert.FromHexString(
        "020000000002020000000001" + "8100000a" + "0800" + "4500001c000000004011" + "0000" + "c0a80105" + "c0a80109" + "14e90035" + "00080000");

    /// <summary>ARP who-has 10.0.0.9 tell 10.0.0.1 from 02:..:01, broadcast.</summary>
    private static readonly byte[] s_arp = Convert.FromHexString(
        "ffffffffffff020000000001" + "0806" + "0001080006040001" + "020000000001" + "0a000001" + "000000000000" + "0a000009");

    /// <summary>IPv6 2001:db8::1:40000 > 2001:db8::2:443 TCP (ports only).</summary>
    private static readonly byte[] s_tcp6 = Convert.FromHexString(
        "020000000002020000000001" + "86dd" + "6000000000140640" + "20010db8000000000000000000000001" + "20010db8000000000000000000000002" + "9c4001bb");

    [Theory]
    [InlineData("icmp", true, false, false, false)]
    [InlineData("udp", false, true, false, false)]
    [InlineData("tcp", false, false, false, true)]
    [InlineData("ip", true, true, false, false)]
    [InlineData("ip6", false, false, false, true)]
    [InlineData("arp", false, false, true, false)]
    [InlineData("host 10.0.0.4", true, false, false, false)]
    [InlineData("src host 10.0.0.4", false, false, false, false)]
    [InlineData("dst 10.0.0.4", true, false, false, false)]
    [InlineData("10.0.0.9", false, false, true, false)]
    [InlineData("net 192.168.0.0/16", false, true, false, false)]
    [InlineData("net 10.0.0.0/8", true, false, true, false)]
    [InlineData("host 2001:db8::2", false, false, false, true)]
    [InlineData("net 2001:db8::/32", false, false, false, true)]
    [InlineData("port 53", false, true, false, false)]
    [InlineData("src port 53", false, false, false, false)]
    [InlineData("dst port 443", false, false, false, true)]
    [InlineData("vlan 10", false, true, false, false)]
    [InlineData("vlan 20", false, false, false, false)]
    [InlineData("ether host ff:ff:ff:ff:ff:ff", false, false, true, false)]
    [InlineData("src ether 02:00:00:00:00:01", false, true, true, true)]
    [InlineData("02:00:00:00:00:04", true, false, false, false)]
    [InlineData("not arp and ip", true, true, false, false)]
    [InlineData("icmp or udp", true, true, false, false)]
    [InlineData("(icmp or arp) and host 10.0.0.9", false, false, true, false)]
    [InlineData("not (icmp or udp)", false, false, true, true)]
    [InlineData("udp port 53 vlan 10", false, true, false, false)]
    public void MatchesWhatItSays(string filter, bool icmp, bool vlanUdp, bool arp, bool tcp6)
    {
        PacketFilter parsed = PacketFilter.Parse(filter);
        Assert.Equal([icmp, vlanUdp, arp, tcp6], new[] { s_icmp, s_vlanUdp, s_arp, s_tcp6 }.Select(f => parsed.Matches(f)).ToArray());
    }

    [Fact]
    public void TruncatedFramesMatchNothingAndNeverReadPastTheEnd()
    {
        PacketFilter filter = PacketFilter.Parse("host 10.0.0.4 or port 53 or vlan 10 or ether host 02:00:00:00:00:04");
        for (int length = 0; length < s_vlanUdp.Length; length++)
        {
            Assert.False(filter.Matches(s_vlanUdp.AsSpan(0, length)) && length < 14, $"length {length}");
        }
        Assert.False(PacketFilter.Parse("host 10.0.0.4").Matches(s_icmp.AsSpan(0, 33)), "an IPv4 header cut short has no addresses");
    }

    [Theory]
    [InlineData("", "the filter is empty")]
    [InlineData("host", "filter: expected an address at the end")]
    [InlineData("host 10.0.0.0/8", "filter: host '10.0.0.0/8' is an address without a /length (use net for a network)")]
    [InlineData("net 10.0.0.0", "filter: net '10.0.0.0' needs a /length")]
    [InlineData("net 10.0.0.0/40", "filter: prefix length 40 is longer than 32")]
    [InlineData("port 70000", "filter: port '70000' is not a number from 0 to 65535")]
    [InlineData("vlan x", "filter: VLAN id 'x' is not a number from 0 to 4095")]
    [InlineData("ether 02:00", "filter: '02:00' is not a MAC address such as 02:00:00:00:00:01")]
    [InlineData("(icmp", "filter: expected ')' but found 'end of filter'")]
    [InlineData("icmp )", "filter 'icmp )': unexpected ')'")]
    [InlineData("udp and frob", "filter: 'frob' is not a filter primitive (ip, ip6, arp, icmp, icmp6, tcp, udp, host, net, port, vlan, ether, an address or a MAC)")]
    public void RefusesWhatItCannotUseWithTheWordNamed(string filter, string message) =>
        Assert.Equal(message, Assert.Throws<ControlCommandException>(() => PacketFilter.Parse(filter)).Message);

    [Fact]
    public void DecodesHeadersIntoOneLine()
    {
        Assert.Equal("02:00:00:00:00:03 > 02:00:00:00:00:04 IPv4 10.0.0.3 > 10.0.0.4 ttl 64 ICMP echo-request", PacketHeaders.Decode(s_icmp).ToString());
        Assert.Equal("02:00:00:00:00:01 > 02:00:00:00:00:02 vlan 10 IPv4 192.168.1.5 > 192.168.1.9 ttl 64 UDP 5353 > 53", PacketHeaders.Decode(s_vlanUdp).ToString());
        Assert.Equal("02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff ARP who-has 10.0.0.9 tell 10.0.0.1", PacketHeaders.Decode(s_arp).ToString());
        Assert.Equal("02:00:00:00:00:01 > 02:00:00:00:00:02 IPv6 2001:db8::1 > 2001:db8::2 ttl 64 TCP 40000 > 443", PacketHeaders.Decode(s_tcp6).ToString());
        Assert.Equal("truncated frame (10 bytes)", PacketHeaders.Decode(s_icmp.AsSpan(0, 10)).ToString());
    }
}
