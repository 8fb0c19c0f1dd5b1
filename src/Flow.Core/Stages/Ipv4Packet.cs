namespace Flow;

/// <summary>An Ethernet frame carrying IPv4 whose L3 offset points at the IPv4 header, which has been validated (version, IHL, lengths).</summary>
public abstract class Ipv4Packet : EthernetFrame
{
    private protected Ipv4Packet()
    {
    }
}
