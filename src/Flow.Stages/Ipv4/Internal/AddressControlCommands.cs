using System.Globalization;

namespace Flow.Stages.Ipv4.Internal;

/// <summary>
/// The interface verbs, declared by <see cref="Ipv4Validator"/> (<c>ipv4_input</c>):
/// <c>addr show</c> lists the router's interfaces as that stage holds them. A graph with several
/// <c>ipv4_input</c> stages (one per worker) answers once when they hold the same interfaces.
/// </summary>
internal static class AddressControlCommands
{
    public static IReadOnlyList<IControlCommand> All { get; } =
    [
        new RouterControlCommand("addr show", "The router's interfaces: name, port id, each address with its prefix, MAC and MTU.", [], ShowAsync),
    ];

    private static async Task<ControlReply> ShowAsync(ControlRequest request)
    {
        (string stage, RouterInterfaceTable table) = await RouterControlCommand.ServingAsync<Ipv4Validator, RouterInterfaceTable>(request,
            static input => input.Interfaces,
            static (a, b) => ReferenceEquals(a, b) || a.Interfaces.Count == b.Interfaces.Count
                && a.Interfaces.Zip(b.Interfaces).All(p => Same(p.First, p.Second)),
            "interfaces").ConfigureAwait(false);
        var rows = new List<IReadOnlyList<string>>();
        int addresses = 0;
        for (int i = 0; i < table.Count; i++)
        {
            RouterInterfaceOptions item = table.Interfaces[i];
            string port = (item.Id ?? i).ToString(CultureInfo.InvariantCulture);
            string mac = table.MacOf(i).ToString();
            string mtu = item.Mtu.ToString(CultureInfo.InvariantCulture);
            if (item.Addresses.Count == 0)
            {
                rows.Add([item.Name, port, "-", mac, mtu]);
            }
            foreach (string address in item.Addresses)
            {
                // "dhcp" marks an interface whose address a dhcp_client learns; it is listed, not counted.
                rows.Add([item.Name, port, address, mac, mtu]);
                addresses += address == RouterInterfaceOptions.DhcpAddress ? 0 : 1;
            }
        }
        return ControlReply.Table(["interface", "port", "address", "mac", "mtu"], rows,
            $"{stage}: {table.Count.ToString(CultureInfo.InvariantCulture)} interfaces, {addresses.ToString(CultureInfo.InvariantCulture)} addresses");
    }

    private static bool Same(RouterInterfaceOptions a, RouterInterfaceOptions b) =>
        a.Name == b.Name && a.Id == b.Id && a.Mac == b.Mac && a.Mtu == b.Mtu && a.Addresses.SequenceEqual(b.Addresses);
}
