using System.Globalization;

namespace Flow.Stages.Arp.Internal;

/// <summary>
/// <c>neigh show</c> and <c>neigh flush</c>, served by <c>arp_resolve</c> (the stage that owns
/// the neighbour table's users' view), run through its mailbox.
/// </summary>
internal static class NeighbourControlCommands
{
    public static IReadOnlyList<IControlCommand> All { get; } =
    [
        new Command("neigh show", "The router's neighbours: address, interface, MAC, state, age (since the last change or confirmation), held packets, /32 route.",
            [new("interface", "Only neighbours on this interface.")], ShowAsync),
        new Command("neigh flush", "Forgets every neighbour: their /32 routes go, packets held for them are freed; traffic resolves them again.",
            [], FlushAsync),
    ];

    private static async Task<ControlReply> ShowAsync(ControlRequest request)
    {
        string stage = request.ServingStage();
        string? only = request.Optional("interface");
        (IReadOnlyList<NeighbourEntry> entries, IReadOnlyList<string> names) = await request.Graph.InvokeAsync<ArpResolver, (IReadOnlyList<NeighbourEntry>, IReadOnlyList<string>)>(
            stage, static s => (s.GetNeighbours(), [.. s.Interfaces.Interfaces.Select(i => i.Name)])).ConfigureAwait(false);
        if (only is not null && !names.Contains(only, StringComparer.Ordinal))
        {
            throw new ControlCommandException($"no router interface is named '{only}'; the interfaces are {string.Join(", ", names)}");
        }
        var rows = new List<IReadOnlyList<string>>();
        foreach (NeighbourEntry entry in entries)
        {
            if (only is null || entry.Interface == only)
            {
                rows.Add([entry.Address.ToString(), entry.Interface, entry.Mac?.ToString() ?? "-", entry.State.ToString().ToLowerInvariant(),
                    ((long)entry.Age.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s", entry.Held.ToString(CultureInfo.InvariantCulture),
                    entry.HostRoute ? "yes" : "no"]);
            }
        }
        return ControlReply.Table(["address", "interface", "mac", "state", "age", "held", "route"], rows,
            $"arp_resolve '{stage}': {rows.Count} neighbour{(rows.Count == 1 ? "" : "s")}");
    }

    private static async Task<ControlReply> FlushAsync(ControlRequest request)
    {
        string stage = request.ServingStage();
        int removed = await request.Graph.InvokeAsync<ArpResolver, int>(stage, static s => s.FlushNeighbours()).ConfigureAwait(false);
        return ControlReply.Text($"arp_resolve '{stage}': {removed} neighbour{(removed == 1 ? "" : "s")} flushed");
    }

    private sealed class Command(string name, string help, IReadOnlyList<ControlArgument> arguments, Func<ControlRequest, Task<ControlReply>> run)
        : IControlCommand
    {
        public string Name { get; } = name;

        public string Help { get; } = help;

        public IReadOnlyList<ControlArgument> Arguments { get; } = arguments;

        public Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(request);
            return run(request);
        }
    }
}
