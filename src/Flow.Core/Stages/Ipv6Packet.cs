namespace Flow;

/// <summary>An Ethernet frame carrying IPv6 whose L3 offset points at the IPv6 header.</summary>
public abstract class Ipv6Packet : EthernetFrame
{
    private protected Ipv6Packet()
    {
    }
}
