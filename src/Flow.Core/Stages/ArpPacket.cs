namespace Flow;

/// <summary>An Ethernet frame carrying ARP whose L3 offset points at the ARP header.</summary>
public abstract class ArpPacket : EthernetFrame
{
    private protected ArpPacket()
    {
    }
}
