namespace Flow.Stages.Ipv4;

/// <summary>
/// One router interface: the port its frames arrive on, its MAC, its IPv4 addresses with their
/// prefixes and its MTU. Every router stage takes the same list (<c>eth_classify</c>,
/// <c>ipv4_input</c>, <c>icmp_echo</c>, <c>icmp_error</c>), so a graph file names it once as a
/// parameter and hands it to each.
/// </summary>
public sealed record RouterInterfaceOptions
{
    /// <summary>lower_snake name (<c>lan</c>, <c>wan</c>), used in messages and control output.</summary>
    public string Name { get; init; } = "";

    /// <summary>
    /// The <see cref="PacketMeta.InputPort"/> value frames from this interface carry (the rx
    /// backend's <c>InputPort</c> option, or an <c>input_port</c> stage). Unset: the interface's
    /// position in the list.
    /// </summary>
    public ushort? Id { get; init; }

    /// <summary>The interface's unicast MAC, <c>02:00:00:00:00:01</c>.</summary>
    public string Mac { get; init; } = "";

    /// <summary>
    /// Addresses with their prefix, <c>192.168.1.1/24</c>; the first is the interface's primary
    /// address, the source of ICMP errors about packets that arrived here. May be empty (an
    /// interface that only forwards; errors about its packets are then not sent). The word
    /// <c>dhcp</c> (<see cref="DhcpAddress"/>) stands for the address a <c>dhcp_client</c> on the
    /// interface learns: none until it is bound, then what <see cref="InterfaceAddressBook"/> holds.
    /// </summary>
    public IReadOnlyList<string> Addresses { get; init; } = [];

    /// <summary>Largest IPv4 packet the interface sends (68 to 65535; RFC 791 requires 68).</summary>
    public int Mtu { get; init; } = 1500;

    /// <summary>The address entry of an interface whose address comes from DHCP (router.json's <c>wan.address: "dhcp"</c>).</summary>
    public const string DhcpAddress = "dhcp";

    /// <summary>True when one of <see cref="Addresses"/> is <see cref="DhcpAddress"/>.</summary>
    public bool UsesDhcp => Addresses.Contains(DhcpAddress, StringComparer.Ordinal);

    /// <summary><see cref="Addresses"/> without <see cref="DhcpAddress"/>: the ones written as a.b.c.d/n.</summary>
    public IEnumerable<string> StaticAddresses => Addresses.Where(static a => a != DhcpAddress);
}
