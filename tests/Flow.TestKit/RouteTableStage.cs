using System.Globalization;
using System.Net;

namespace Flow.TestKit;

/// <summary>
/// The sample controlled stage of the tests: a stage that declares its own verbs, as a router or a
/// TCP stack would, and that neither the control endpoint nor <c>flow ctl</c> has heard of:
/// <c>route add &lt;prefix&gt; --via ip [--metric N]</c>, <c>route del &lt;prefix&gt;</c>,
/// <c>route show</c>. Packets pass through; the table is worker-owned and reached only through the
/// stage's mailbox. Hosting's tests add it to a graph in code; the CLI's load it from this
/// assembly through a graph file's <c>"assemblies"</c>.
/// </summary>
[Stage("test_routes", "Test stage: passes packets on and keeps a route table changed by control verbs.")]
public sealed class RouteTableStage : Stage<RouteTableStage.Output, NoDrop>, IControlledStage
{
    /// <summary>An IPv4 prefix such as 10.0.0.0/8.</summary>
    private static readonly ControlValue Prefix = new("a.b.c.d/len", (name, text) =>
        text.Split('/') is [string address, string length] && IPAddress.TryParse(address, out IPAddress? ip) &&
        ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && int.TryParse(length, NumberStyles.None, CultureInfo.InvariantCulture, out int bits) && bits <= 32
            ? null
            : $"{name} '{text}' is not an IPv4 prefix such as 10.0.0.0/8");

    private static readonly IReadOnlyList<IControlCommand> s_commands = [new AddCommand(), new DelCommand(), new ShowCommand()];

    // Worker-owned: changed and read only through the control mailbox.
    private readonly SortedDictionary<string, (string Via, int Metric)> _routes = new(StringComparer.Ordinal);

    public enum Output : byte
    {
        [Port(typeof(Carries.SameAsInput), "every packet, unchanged")]
        Out,
    }

    public IReadOnlyList<IControlCommand> ControlCommands => s_commands;

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts) =>
        nexts.Slice(0, packets.Length).Fill(To(Output.Out));

    private sealed class AddCommand : IControlCommand
    {
        public string Name => "route add";

        public string Help => "Adds a route: packets to the prefix go via the next hop.";

        public IReadOnlyList<ControlArgument> Arguments { get; } =
        [
            new("prefix", "The destination prefix.", Prefix) { Positional = true, Required = true },
            new("via", "The next hop's address.", ControlValue.AnyText("ip")) { Required = true },
            new("metric", "The route's metric (default 0).", ControlValue.Integer(0, 255)),
        ];

        public async Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
        {
            string stage = request.ServingStage();
            string prefix = request.Required("prefix");
            string via = request.Required("via");
            int metric = request.OptionalInteger("metric", 0, 255) ?? 0;
            string thread = await request.Graph.InvokeAsync<RouteTableStage, string>(stage, s =>
            {
                s._routes[prefix] = (via, metric);
                return Thread.CurrentThread.Name ?? "?";
            });
            return ControlReply.Text($"{stage}: {prefix} via {via} metric {metric} (on {thread})");
        }
    }

    private sealed class DelCommand : IControlCommand
    {
        public string Name => "route del";

        public string Help => "Removes the route to a prefix.";

        public IReadOnlyList<ControlArgument> Arguments { get; } = [new("prefix", "The destination prefix.", Prefix) { Positional = true, Required = true }];

        public async Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
        {
            string prefix = request.Required("prefix");
            bool removed = await request.Graph.InvokeAsync<RouteTableStage, bool>(request.ServingStage(), s => s._routes.Remove(prefix));
            return removed ? ControlReply.Text($"removed {prefix}") : throw new ControlCommandException($"no route to {prefix}");
        }
    }

    private sealed class ShowCommand : IControlCommand
    {
        public string Name => "route show";

        public string Help => "The route table.";

        public IReadOnlyList<ControlArgument> Arguments => [];

        public async Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
        {
            string stage = request.ServingStage();
            List<IReadOnlyList<string>> rows = await request.Graph.InvokeAsync<RouteTableStage, List<IReadOnlyList<string>>>(stage, s =>
                s._routes.Select(r => (IReadOnlyList<string>)[r.Key, r.Value.Via, r.Value.Metric.ToString(CultureInfo.InvariantCulture)]).ToList());
            return ControlReply.Table(["prefix", "via", "metric"], rows, $"{stage}: {rows.Count} routes");
        }
    }
}
