using Flow.Protocols.Icmpv6;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Ipv6;
using Flow.Protocols.Tcp;
using Flow.TestKit;

namespace Flow.Protocols.Tests.Views;

/// <summary>
/// A peer that shares the packet memory (client-role memif) rewrites a length or type field
/// after TryParse. Every accessor must keep to the bounds TryParse validated: no exception
/// (which would stop the graph) and no read past the buffer (which the guard page turns into
/// a crash).
/// </summary>
public sealed class ViewSharedMemoryTests
{
    // IPv4, IHL 6 (options NOP NOP NOP EOL), Total Length 32, 8 bytes of payload.
    private static readonly byte[] Ipv4WithOption =
    [
        0x46, 0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
        192, 0, 2, 1, 198, 51, 100, 7,
        0x01, 0x01, 0x01, 0x00,
        1, 2, 3, 4, 5, 6, 7, 8,
    ];

    // TCP, Data Offset 6 (options NOP NOP NOP EOL), 4 bytes of data.
    private static readonly byte[] TcpWithOption =
    [
        0x04, 0xd2, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x18, 0xff, 0xff, 0, 0, 0, 0,
        0x01, 0x01, 0x01, 0x00,
        0xde, 0xad, 0xbe, 0xef,
    ];

    // ICMPv6 echo request: the 8-byte minimum for its type.
    private static readonly byte[] EchoRequest = [128, 0, 0, 0, 0x12, 0x34, 0x00, 0x01];

    // Neighbour solicitation with a source link-layer address option (RFC 4861 4.3, 4.6.1).
    private static readonly byte[] NeighborSolicitation =
    [
        135, 0, 0, 0, 0, 0, 0, 0,
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
        1, 1, 0x02, 0, 0, 0, 0, 0x0a,
    ];

    [Theory]
    [InlineData(0x4F)] // IHL 15: 60 bytes, past the 32-byte packet
    [InlineData(0x41)] // IHL 1: shorter than the fixed header
    [InlineData(0x40)] // IHL 0
    public void Ipv4AccessorsKeepTheParsedHeaderLengthWhenIhlChangesAfterParse(byte flipped)
    {
        using var guarded = new GuardedBuffer(4096);
        Span<byte> bytes = guarded.Place(Ipv4WithOption);
        Assert.True(Ipv4Packet.TryParse(bytes, out Ipv4Packet packet));

        bytes[0] = flipped;

        Assert.Equal(24, packet.HeaderLength);
        Assert.Equal(4, packet.Options.Length);
        Assert.Equal(8, packet.Payload.Length);
        Assert.Equal(1, packet.Payload[0]);
        Ipv4OptionReader reader = packet.GetOptionReader();
        while (reader.TryReadNext(out _, out _))
        {
        }
        packet.UpdateChecksum();
        Assert.True(packet.HasValidChecksum);
        Assert.Equal(32, packet.Bytes.Length);
    }

    [Theory]
    [InlineData(0x4F)]
    [InlineData(0x40)]
    public void QuotedIpv4AccessorsKeepTheParsedHeaderLengthWhenIhlChangesAfterParse(byte flipped)
    {
        using var guarded = new GuardedBuffer(4096);
        Span<byte> bytes = guarded.Place(Ipv4WithOption.AsSpan(0, 28)); // quote cut short
        Assert.True(Ipv4Packet.TryParseQuoted(bytes, out Ipv4Packet packet));

        bytes[0] = flipped;

        Assert.Equal(4, packet.Options.Length);
        Assert.Equal(4, packet.Payload.Length);
        Assert.False(packet.HasValidChecksum);
    }

    [Theory]
    [InlineData(0xF0)] // Data Offset 15: 60 bytes, past the 28-byte segment
    [InlineData(0x10)] // Data Offset 1: shorter than the fixed header
    public void TcpAccessorsKeepTheParsedDataOffsetWhenItChangesAfterParse(byte flipped)
    {
        using var guarded = new GuardedBuffer(4096);
        Span<byte> bytes = guarded.Place(TcpWithOption);
        Assert.True(TcpSegment.TryParse(bytes, out TcpSegment segment));

        bytes[12] = flipped;

        Assert.Equal(24, segment.HeaderLength);
        Assert.Equal(4, segment.Options.Length);
        Assert.Equal(0xde, segment.Payload[0]);
        Assert.Equal(4, segment.Payload.Length);
        Ipv4OptionReader reader = segment.GetOptionReader();
        while (reader.TryReadNext(out _, out _))
        {
        }
        segment.HasValidChecksum(new Ipv4Address(192, 0, 2, 1), new Ipv4Address(198, 51, 100, 7));
    }

    [Fact]
    public void Icmpv6EchoKeepsNoOptionsWhenItsTypeIsRewrittenToNeighborSolicitationAfterParse()
    {
        using var guarded = new GuardedBuffer(4096);
        Span<byte> bytes = guarded.Place(EchoRequest);
        Assert.True(Icmpv6Packet.TryParse(bytes, out Icmpv6Packet packet));

        bytes[0] = Icmpv6Type.NeighborSolicitation;

        Assert.True(packet.Options.IsEmpty);
        Assert.False(packet.TryGetLinkLayerAddress(NdOptionType.SourceLinkLayerAddress, out _));
        Assert.Equal(0x1234, packet.Identifier);
        Assert.Equal(1, packet.SequenceNumber);
    }

    [Fact]
    public void Icmpv6NeighborSolicitationKeepsItsOptionsWhenItsTypeIsRewrittenAfterParse()
    {
        using var guarded = new GuardedBuffer(4096);
        Span<byte> bytes = guarded.Place(NeighborSolicitation);
        Assert.True(Icmpv6Packet.TryParse(bytes, out Icmpv6Packet packet));

        bytes[0] = Icmpv6Type.RouterAdvertisement; // options would start at 16, inside the target address

        Assert.Equal(8, packet.Options.Length);
        Assert.True(packet.TryGetLinkLayerAddress(NdOptionType.SourceLinkLayerAddress, out _));
        Assert.Equal(new Ipv6Address(NeighborSolicitation.AsSpan(8, 16)), packet.TargetAddress);
    }
}
