namespace Flow.Protocols.Arp;

/// <summary>ARP opcodes in host order (RFC 826; IANA ARP parameters).</summary>
public static class ArpOperation
{
    public const ushort Request = 1;
    public const ushort Reply = 2;
}
