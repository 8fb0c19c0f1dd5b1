using Flow.Protocols.Ethernet;

namespace Flow.Samples.Switch;

/// <summary>
/// One stream of frames a <see cref="SimulatedHost"/> sends: to <paramref name="Destination"/>,
/// 802.1Q-tagged with <paramref name="Vlan"/> when given (a host on a trunk, like a Linux VLAN
/// sub-interface), else untagged.
/// </summary>
public sealed record HostFlow(MacAddress Destination, ushort? Vlan = null);
