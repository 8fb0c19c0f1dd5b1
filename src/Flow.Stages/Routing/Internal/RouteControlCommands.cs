using System.Globalization;
using Flow.Protocols;
using Flow.Protocols.Ipv4;
using Flow.Stages.Ipv4.Internal;

namespace Flow.Stages.Routing.Internal;

/// <summary>
/// The route verbs, declared by <see cref="Ipv4Lookup"/>: <c>route show</c>, <c>route add
/// &lt;prefix&gt; via &lt;gateway&gt; [weight N] [via ...] | blackhole | reject</c>, <c>route del
/// &lt;prefix&gt;</c>. Changes go through <see cref="Ipv4RouteTable.Add"/> and
/// <see cref="Ipv4RouteTable.Delete"/> from the control thread: the workers keep forwarding and
/// each address moves from its old answer to its new one. Connected and local routes belong to
/// the interfaces and are refused here.
/// </summary>
internal static class RouteControlCommands
{
    /// <summary>Routes one 'route show' reply lists at most: the reply stays a few hundred KiB.</summary>
    internal const int MaxShowLimit = 10_000;

    private static readonly ControlValue s_prefix = new("prefix", static (name, text) =>
        Ipv4Prefix.TryParse(text, out _, out string? problem) ? null : $"{name} {problem}");

    public static IReadOnlyList<IControlCommand> All { get; } =
    [
        new RouterControlCommand("route show", "The route table: prefix, kind (via, connected, local, blackhole, reject), gateway, port and, " +
            "for ECMP routes, one row per path with its weight. 'limit' routes (default 1000) from route 'start' (default 0; a reply with more names the next).",
            [
                new("start", "The route to list from: the one a previous page named (default 0).", ControlValue.Integer(0, int.MaxValue, "index")),
                new("limit", $"Most routes of this page (default 1000, at most {MaxShowLimit}).", ControlValue.Integer(1, MaxShowLimit)),
            ], ShowAsync),
        new RouterControlCommand("route add", "Adds or replaces a route while traffic flows: 'route add <prefix> via <gateway> [weight N] [via <gateway> [weight N]]...' " +
            "(several vias: an ECMP group), 'route add <prefix> blackhole' or 'route add <prefix> reject' (ICMP administratively prohibited).",
            [
                new("prefix", "The destination, e.g. 198.51.100.0/24 (0.0.0.0/0: the default route).", s_prefix) { Positional = true, Required = true },
                new("target", "What the route does: via <gateway> [weight N], repeated for an ECMP group; blackhole; or reject.", ControlValue.AnyText("target"))
                    { Positional = true, Required = true, Rest = true },
            ], AddAsync),
        new RouterControlCommand("route del", "Removes a route; the next shorter covering route takes its addresses again.",
            [new("prefix", "The route's prefix, as 'route show' lists it.", s_prefix) { Positional = true, Required = true }], DelAsync),
    ];

    private static Task<(string Stage, (Ipv4RouteTable Table, IReadOnlyList<AttachedNetwork> Networks) State)> LookupAsync(ControlRequest request) =>
        RouterControlCommand.ServingAsync<Ipv4Lookup, (Ipv4RouteTable Table, IReadOnlyList<AttachedNetwork> Networks)>(request,
            static lookup => (lookup.RouteTable, lookup.Networks),
            static (a, b) => ReferenceEquals(a.Table, b.Table) && a.Networks.SequenceEqual(b.Networks),
            "route tables or interfaces");

    private static async Task<ControlReply> ShowAsync(ControlRequest request)
    {
        (string stage, (Ipv4RouteTable table, IReadOnlyList<AttachedNetwork> networks)) = await LookupAsync(request).ConfigureAwait(false);
        int start = request.OptionalInteger("start", 0, int.MaxValue) ?? 0;
        int limit = request.OptionalInteger("limit", 1, MaxShowLimit) ?? 1000;
        List<(Ipv4Prefix Prefix, Ipv4Route Route)> routes = table.GetRoutes();
        var rows = new List<IReadOnlyList<string>>();
        int end = (int)Math.Min((long)start + limit, routes.Count);
        for (int r = start; r < end; r++)
        {
            (Ipv4Prefix prefix, Ipv4Route route) = routes[r];
            string p = prefix.ToString();
            switch (route.Kind)
            {
                case NextHopKind.Via:
                    rows.Add([p, "via", route.Gateway.ToString(), RouteConfiguration.PortName(route.Port, networks), "-"]);
                    break;
                case NextHopKind.Multipath:
                    foreach (EcmpMember member in route.Members)
                    {
                        rows.Add([p, "via", member.Gateway.ToString(), RouteConfiguration.PortName(member.Port, networks), Text(member.Weight)]);
                    }
                    break;
                case NextHopKind.Connected or NextHopKind.Local:
                    rows.Add([p, Kind(route.Kind), "-", RouteConfiguration.PortName(route.Port, networks), "-"]);
                    break;
                default:
                    rows.Add([p, Kind(route.Kind), "-", "-", "-"]);
                    break;
            }
        }
        int shown = Math.Max(0, end - start);
        string message = start == 0 && end == routes.Count ? $"{Text(routes.Count)} routes" : $"{Text(shown)} of {Text(routes.Count)} routes";
        if (end < routes.Count)
        {
            message += $"; more from start {Text(end)}";
        }
        return ControlReply.Table(["prefix", "kind", "via", "port", "weight"], rows, $"{stage}: {message}");
    }

    private static async Task<ControlReply> AddAsync(ControlRequest request)
    {
        Ipv4Prefix prefix = Prefix(request.Required("prefix"));
        (string stage, (Ipv4RouteTable table, IReadOnlyList<AttachedNetwork> networks)) = await LookupAsync(request).ConfigureAwait(false);
        Ipv4Route route = Target(request.Required("target"), networks);
        RefuseInterfaceRoute(table, prefix, networks, "replaced");
        FibStatus status;
        try
        {
            status = table.Add(prefix, route);
        }
        catch (ArgumentException e)
        {
            throw new ControlCommandException($"route {prefix}: {e.Message}", e);
        }
        string done = status switch
        {
            FibStatus.Added => "added",
            FibStatus.Replaced => "replaced",
            FibStatus.Unchanged => "unchanged (the table had this route already)",
            _ => throw new ControlCommandException($"route {prefix} {RouteConfiguration.Describe(route, networks)} was not added: {RouteConfiguration.Describe(status)}"),
        };
        return ControlReply.Text($"{stage}: {prefix} {RouteConfiguration.Describe(route, networks)}: {done}");
    }

    private static async Task<ControlReply> DelAsync(ControlRequest request)
    {
        Ipv4Prefix prefix = Prefix(request.Required("prefix"));
        (string stage, (Ipv4RouteTable table, IReadOnlyList<AttachedNetwork> networks)) = await LookupAsync(request).ConfigureAwait(false);
        if (!table.TryGet(prefix, out Ipv4Route route))
        {
            throw new ControlCommandException($"there is no route for {prefix}");
        }
        RefuseInterfaceRoute(table, prefix, networks, "deleted");
        if (table.Delete(prefix) != FibStatus.Deleted)
        {
            throw new ControlCommandException($"there is no route for {prefix}");
        }
        return ControlReply.Text($"{stage}: deleted {prefix} {RouteConfiguration.Describe(route, networks)}");
    }

    /// <summary>Connected and local routes come and go with the interfaces' addresses, not with route add or del.</summary>
    private static void RefuseInterfaceRoute(Ipv4RouteTable table, Ipv4Prefix prefix, IReadOnlyList<AttachedNetwork> networks, string verb)
    {
        if (table.TryGet(prefix, out Ipv4Route existing) && existing.Kind is NextHopKind.Connected or NextHopKind.Local)
        {
            string owner = RouteConfiguration.PortName(existing.Port, networks);
            throw new ControlCommandException(existing.Kind == NextHopKind.Local
                ? $"{prefix} is an address of interface '{owner}' (a local route); it is not {verb} by route commands"
                : $"{prefix} is the network of interface '{owner}' (a connected route); it is not {verb} by route commands");
        }
    }

    internal static Ipv4Prefix Prefix(string text) =>
        Ipv4Prefix.TryParse(text, out Ipv4Prefix prefix, out string? problem) ? prefix : throw new ControlCommandException($"prefix {problem}");

    /// <summary>
    /// Reads a route's target: <c>blackhole</c>, <c>reject</c>, or <c>via &lt;gateway&gt;
    /// [weight N]</c> once or more (one: a plain via route unless a weight is given; several: an
    /// ECMP group), each gateway's port found from the network holding it.
    /// </summary>
    internal static Ipv4Route Target(string text, IReadOnlyList<AttachedNetwork> networks)
    {
        const string Usage = "write route add <prefix> via <gateway> [weight N] [via <gateway> [weight N]]..., route add <prefix> blackhole or route add <prefix> reject";
        string[] words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 1 && words[0] is "blackhole" or "reject")
        {
            return words[0] == "blackhole" ? Ipv4Route.Blackhole : Ipv4Route.Reject;
        }
        var paths = new List<EcmpMember>();
        bool weighted = false;
        for (int i = 0; i < words.Length; i++)
        {
            switch (words[i])
            {
                case "via":
                    if (i + 1 == words.Length)
                    {
                        throw new ControlCommandException($"'via' needs a gateway address; {Usage}");
                    }
                    string gatewayText = words[++i];
                    if (RouteConfiguration.ParseAddress(gatewayText) is not uint gateway)
                    {
                        throw new ControlCommandException($"via '{gatewayText}' is not an IPv4 address such as 192.168.100.1");
                    }
                    if (RouteConfiguration.ResolveGateway(networks, gateway, out ushort port) is string problem)
                    {
                        throw new ControlCommandException(problem);
                    }
                    if (paths.Exists(p => p.Gateway.Value.Host == gateway))
                    {
                        throw new ControlCommandException($"via {gatewayText} is given twice");
                    }
                    paths.Add(new EcmpMember(new Ipv4Address(new NetU32(gateway)), port));
                    break;
                case "weight":
                    if (paths.Count == 0)
                    {
                        throw new ControlCommandException($"a weight follows the 'via <gateway>' it is for; {Usage}");
                    }
                    if (i + 1 == words.Length || !int.TryParse(words[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int weight)
                        || weight is < 1 or > RouteConfiguration.MaxWeight)
                    {
                        throw new ControlCommandException($"weight '{(i + 1 < words.Length ? words[i + 1] : "")}' is not a number from 1 to {Text(RouteConfiguration.MaxWeight)}");
                    }
                    i++;
                    paths[^1] = paths[^1] with { Weight = weight };
                    weighted = true;
                    break;
                case "blackhole" or "reject":
                    throw new ControlCommandException($"'{words[i]}' stands alone: a route is via gateways, blackhole or reject");
                default:
                    throw new ControlCommandException($"'{words[i]}' is not via, weight, blackhole or reject; {Usage}");
            }
        }
        if (paths.Count == 0)
        {
            throw new ControlCommandException($"the route has no target; {Usage}");
        }
        return paths.Count == 1 && !weighted ? Ipv4Route.Via(paths[0].Gateway, paths[0].Port) : Ipv4Route.Multipath(paths);
    }

    private static string Kind(NextHopKind kind) => kind switch
    {
        NextHopKind.Connected => "connected",
        NextHopKind.Local => "local",
        NextHopKind.Blackhole => "blackhole",
        NextHopKind.Reject => "reject",
        _ => "via",
    };

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
