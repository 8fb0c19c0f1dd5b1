namespace Flow;

/// <summary>An Ethernet II frame, data starting at the destination MAC; L2 offset set.</summary>
public abstract class EthernetFrame : AnyPacket
{
    private protected EthernetFrame()
    {
    }
}
