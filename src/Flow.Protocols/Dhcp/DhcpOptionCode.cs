namespace Flow.Protocols.Dhcp;

/// <summary>DHCP option codes Flow reads and writes (RFC 2132).</summary>
public static class DhcpOptionCode
{
    public const byte Pad = 0;
    public const byte SubnetMask = 1;
    public const byte Router = 3;
    public const byte DomainNameServer = 6;
    public const byte HostName = 12;
    public const byte BroadcastAddress = 28;
    public const byte DomainName = 15;
    public const byte RequestedIpAddress = 50;
    public const byte IpAddressLeaseTime = 51;
    public const byte MessageType = 53;
    public const byte ServerIdentifier = 54;
    public const byte ParameterRequestList = 55;
    public const byte Message = 56;
    public const byte RenewalTime = 58;
    public const byte RebindingTime = 59;
    public const byte ClientIdentifier = 61;
    public const byte End = 255;
}
