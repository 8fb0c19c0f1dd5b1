namespace Flow.Protocols.Ethernet;

/// <summary>
/// EtherType values in host order (IEEE Registration Authority). Compare with
/// <c>header.EtherType.Host</c>; wire fields stay <see cref="NetU16"/>.
/// </summary>
public static class EtherType
{
    public const ushort Ipv4 = 0x0800;
    public const ushort Arp = 0x0806;

    /// <summary>Customer VLAN tag, IEEE 802.1Q.</summary>
    public const ushort Vlan = 0x8100;

    /// <summary>Service VLAN tag (outer tag of Q-in-Q), IEEE 802.1ad.</summary>
    public const ushort ServiceVlan = 0x88A8;

    /// <summary>Pre-standard Q-in-Q outer tag still sent by some switches.</summary>
    public const ushort LegacyQinQ = 0x9100;

    public const ushort Ipv6 = 0x86DD;

    /// <summary>Values up to 1500 are IEEE 802.3 length fields, not EtherTypes (IEEE 802.3 3.2.6).</summary>
    public const ushort MaxLength = 1500;

    /// <summary>True for the TPIDs that announce a VLAN tag.</summary>
    public static bool IsVlanTag(ushort value) => value is Vlan or ServiceVlan or LegacyQinQ;
}
