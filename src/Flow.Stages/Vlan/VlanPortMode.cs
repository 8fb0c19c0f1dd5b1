namespace Flow.Stages.Vlan;

/// <summary>How a switch port treats 802.1Q tags (IEEE 802.1Q-2018 6.9, 8.6.2).</summary>
public enum VlanPortMode : byte
{
    /// <summary>
    /// Member of one VLAN: frames arrive and leave untagged (a priority tag, VLAN 0, is accepted
    /// and removed); frames tagged with any other VLAN are dropped.
    /// </summary>
    Access,

    /// <summary>
    /// Carries several VLANs tagged; untagged frames belong to the native VLAN (if any), which
    /// also leaves untagged.
    /// </summary>
    Trunk,
}
