namespace Flow.Protocols.Icmpv6;

/// <summary>ICMPv6 types (RFC 4443 2.1; RFC 4861 4).</summary>
public static class Icmpv6Type
{
    public const byte DestinationUnreachable = 1;
    public const byte PacketTooBig = 2;
    public const byte TimeExceeded = 3;
    public const byte ParameterProblem = 4;
    public const byte EchoRequest = 128;
    public const byte EchoReply = 129;
    public const byte RouterSolicitation = 133;
    public const byte RouterAdvertisement = 134;
    public const byte NeighborSolicitation = 135;
    public const byte NeighborAdvertisement = 136;
}
