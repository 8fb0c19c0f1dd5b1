using Flow.Stages.Vlan;

namespace Flow.Stages.Switching;

/// <summary>
/// One switch port: its name (the forwarder's output port of that name leads to its tx), the
/// input-port id its rx stage stamps into <see cref="PacketMeta.InputPort"/>, and its VLAN mode.
/// </summary>
public sealed record SwitchPortOptions
{
    /// <summary>lower_snake name; the <see cref="L2Forwarder"/>'s output port for this switch port.</summary>
    public string Name { get; init; } = "";

    /// <summary>
    /// The <see cref="PacketMeta.InputPort"/> value frames from this port carry (the backend's
    /// <c>InputPort</c> option). Unset: the port's position in the list.
    /// </summary>
    public ushort? Id { get; init; }

    public VlanPortMode Mode { get; init; } = VlanPortMode.Access;

    /// <summary>Access ports: the one VLAN (1 to 4094).</summary>
    public ushort Vlan { get; init; } = 1;

    /// <summary>
    /// Trunk ports: the VLAN untagged frames belong to, sent untagged (1 to 4094). Unset: untagged
    /// frames are dropped (<c>untagged_on_trunk</c>) and every VLAN leaves tagged.
    /// </summary>
    public ushort? NativeVlan { get; init; }

    /// <summary>Trunk ports: the VLANs carried tagged (1 to 4094). Empty: all of them.</summary>
    public IReadOnlyList<ushort> AllowedVlans { get; init; } = [];

    /// <summary>
    /// Trunk ports: accept frames that carry another tag (0x8100, 0x88A8 or 0x9100) after their
    /// 802.1Q tag, or as the EtherType of an untagged frame — Q-in-Q transit. Such frames leave
    /// only where their VLAN is sent tagged: every <c>vlan_tagger</c> drops them on an untagged
    /// egress (access port, native VLAN), where the next bridge would read the inner tag as
    /// the VLAN. False (the default): they are dropped on arrival as <c>double_tagged</c>, as on
    /// access ports.
    /// </summary>
    public bool QinqTransit { get; init; }

    /// <summary>An access port in <paramref name="vlan"/>.</summary>
    public static SwitchPortOptions Access(string name, ushort vlan, ushort? id = null) =>
        new() { Name = name, Id = id, Mode = VlanPortMode.Access, Vlan = vlan };

    /// <summary>A trunk port carrying <paramref name="allowed"/> (all when empty) tagged and <paramref name="native"/> untagged.</summary>
    public static SwitchPortOptions Trunk(string name, IReadOnlyList<ushort> allowed, ushort? native = null, ushort? id = null) =>
        new() { Name = name, Id = id, Mode = VlanPortMode.Trunk, AllowedVlans = allowed, NativeVlan = native };
}
