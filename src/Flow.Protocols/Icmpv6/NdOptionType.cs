namespace Flow.Protocols.Icmpv6;

/// <summary>Neighbour Discovery option types (RFC 4861 4.6).</summary>
public static class NdOptionType
{
    public const byte SourceLinkLayerAddress = 1;
    public const byte TargetLinkLayerAddress = 2;
    public const byte PrefixInformation = 3;
    public const byte Mtu = 5;
}
