using System.Globalization;
using Flow.Protocols.Ipv4;
using Flow.Stages.Ipv4.Internal;
using Flow.Stages.Routing.Internal;

namespace Flow.Stages.Nat.Internal;

/// <summary>
/// The NAT verbs, declared by <see cref="NatOutbound"/>: <c>nat show</c> (settings and counters),
/// <c>nat sessions</c>, <c>nat mappings show</c>, <c>nat mappings add &lt;tcp|udp&gt;
/// &lt;external port&gt; &lt;address:port&gt;</c> and <c>nat mappings del &lt;tcp|udp&gt;
/// &lt;external port&gt;</c>. Each runs on the NAT's worker through its mailbox, between batches.
/// </summary>
internal static class NatControlCommands
{
    /// <summary>Rows one 'nat sessions' reply lists at most.</summary>
    private const int MaxLimit = 10_000;

    private static readonly ControlValue s_protocol = ControlValue.OneOf("tcp", "udp");

    public static IReadOnlyList<IControlCommand> All { get; } =
    [
        new RouterControlCommand("nat show", "The NAT's settings (addresses, mapping and filtering behaviour, timeouts, limits) and counters.", [], ShowAsync),
        new RouterControlCommand("nat sessions", "The NAT's sessions: protocol, internal, external and remote endpoints, state, seconds left, packets. " +
            "'limit' rows (default 1000).",
            [new("limit", $"Most sessions listed (default 1000, at most {MaxLimit}).", ControlValue.Integer(1, MaxLimit))], SessionsAsync),
        new RouterControlCommand("nat mappings show", "The NAT's mappings: static port mappings and the dynamic ones sessions use.", [], MappingsAsync),
        new RouterControlCommand("nat mappings add", "Adds a port mapping while traffic flows: 'nat mappings add tcp 8080 192.168.1.10:8000'.",
            [
                new("protocol", "tcp or udp.", s_protocol) { Positional = true, Required = true },
                new("external_port", "The port on the NAT's external address.", ControlValue.Integer(1, 65535, "port")) { Positional = true, Required = true },
                new("internal", "The internal endpoint, address:port.", ControlValue.AnyText("address:port")) { Positional = true, Required = true },
            ], AddAsync),
        new RouterControlCommand("nat mappings del", "Removes a port mapping and ends the sessions through it: 'nat mappings del tcp 8080'.",
            [
                new("protocol", "tcp or udp.", s_protocol) { Positional = true, Required = true },
                new("external_port", "The mapped external port.", ControlValue.Integer(1, 65535, "port")) { Positional = true, Required = true },
            ], DelAsync),
    ];

    private static async Task<ControlReply> ShowAsync(ControlRequest request)
    {
        (string stage, IReadOnlyList<IReadOnlyList<string>> rows) = await RunAsync(request, nat =>
        {
            NatTable table = nat.Table;
            NatTableSettings settings = table.Settings;
            NatCounters c = table.Counters;
            return (IReadOnlyList<IReadOnlyList<string>>)
            [
                ["enabled", nat.Enabled ? "yes" : "no"],
                ["addresses", string.Join(" ", table.Addresses.Select(Address))],
                ["gateway", nat.Gateway ?? "-"],
                ["mapping", Snake(settings.Mapping.ToString())],
                ["filtering", Snake(settings.Filtering.ToString())],
                ["timeout_udp", Seconds(settings.Timeouts.Udp)],
                ["timeout_tcp_established", Seconds(settings.Timeouts.TcpEstablished)],
                ["timeout_tcp_transitory", Seconds(settings.Timeouts.TcpTransitory)],
                ["timeout_icmp", Seconds(settings.Timeouts.Icmp)],
                ["max_sessions", Number(settings.MaxSessions)],
                ["max_sessions_per_host", Number(settings.MaxSessionsPerHost)],
                ["sessions", Number(table.SessionCount)],
                ["mappings", Number(table.MappingCount)],
                ["sessions_created", Number(table.SessionsCreated)],
                ["sessions_expired", Number(table.SessionsExpired)],
                ["outbound_translated", Number(c.Outbound)],
                ["inbound_translated", Number(c.Inbound)],
                ["hairpinned", Number(c.Hairpinned)],
                ["steered", Number(c.Steered)],
                ["refused_table_full", Number(c.TableFull)],
                ["refused_host_limit", Number(c.HostLimit)],
                ["refused_ports_exhausted", Number(c.PortsExhausted)],
                ["refused_no_address", Number(c.NoAddress)],
            ];
        }).ConfigureAwait(false);
        return ControlReply.Table(["name", "value"], rows, stage);
    }

    private static async Task<ControlReply> SessionsAsync(ControlRequest request)
    {
        int limit = request.OptionalInteger("limit", 1, MaxLimit) ?? 1000;
        long now = request.Graph.Clock.NowNanoseconds;
        (string stage, (List<IReadOnlyList<string>> Rows, int Total) result) = await RunAsync(request, nat =>
        {
            var rows = new List<IReadOnlyList<string>>();
            NatTable table = nat.Table;
            table.ForEachSession(s =>
            {
                if (rows.Count < limit)
                {
                    rows.Add([Protocol(s.Protocol), $"{Address(s.InsideAddress)}:{Number(s.InsidePort)}", $"{Address(s.OutsideAddress)}:{Number(s.OutsidePort)}",
                        $"{Address(s.RemoteAddress)}:{Number(s.RemotePort)}", Snake(s.State.ToString()),
                        Number(Math.Max(0, table.RemainingNanoseconds(s, now)) / 1_000_000_000), Number(s.Packets)]);
                }
            });
            return (rows, table.SessionCount);
        }).ConfigureAwait(false);
        string message = result.Rows.Count == result.Total ? $"{stage}: {Number(result.Total)} sessions" : $"{stage}: {Number(result.Rows.Count)} of {Number(result.Total)} sessions";
        return ControlReply.Table(["protocol", "internal", "external", "remote", "state", "expires_in_s", "packets"], result.Rows, message);
    }

    private static async Task<ControlReply> MappingsAsync(ControlRequest request)
    {
        (string stage, List<IReadOnlyList<string>> rows) = await RunAsync(request, nat =>
        {
            var rows = new List<IReadOnlyList<string>>();
            nat.Table.ForEachMapping(m => rows.Add([Protocol(m.Protocol), $"{Address(m.OutsideAddress)}:{Number(m.OutsidePort)}",
                $"{Address(m.InsideAddress)}:{Number(m.InsidePort)}", m.RemoteAddress == 0 ? "any" : $"{Address(m.RemoteAddress)}:{Number(m.RemotePort)}",
                m.IsStatic ? "static" : "dynamic", Number(m.Sessions)]));
            rows.Sort((a, b) => string.CompareOrdinal(b[4], a[4]) is int kind && kind != 0 ? kind : string.CompareOrdinal(a[1], b[1]));
            return rows;
        }).ConfigureAwait(false);
        return ControlReply.Table(["protocol", "external", "internal", "remote", "kind", "sessions"], rows, $"{stage}: {Number(rows.Count)} mappings");
    }

    private static async Task<ControlReply> AddAsync(ControlRequest request)
    {
        var options = new NatPortMappingOptions
        {
            Protocol = request.Required("protocol"),
            ExternalPort = request.RequiredInteger("external_port", 1, 65535),
            Internal = request.Required("internal"),
        };
        (string stage, string? problem) = await RunAsync(request, nat =>
        {
            if (NatSetup.ParseMapping(options, nat.Addresses, out NatStaticMapping m) is string bad)
            {
                return bad;
            }
            return nat.Table.AddStatic(m.Protocol, m.OutsideAddress, m.OutsidePort, m.InsideAddress, m.InsidePort);
        }).ConfigureAwait(false);
        if (problem is not null)
        {
            throw new ControlCommandException($"{options.Protocol} {options.ExternalPort}: {problem}");
        }
        return ControlReply.Text($"{stage}: {options.Protocol} {options.ExternalPort} -> {options.Internal}: added");
    }

    private static async Task<ControlReply> DelAsync(ControlRequest request)
    {
        string protocol = request.Required("protocol");
        int port = request.RequiredInteger("external_port", 1, 65535);
        byte number = protocol == "tcp" ? IpProtocol.Tcp : IpProtocol.Udp;
        (string stage, bool removed) = await RunAsync(request, nat => nat.Addresses.Length > 0 && nat.Table.RemoveStatic(number, nat.Addresses[0], (ushort)port)).ConfigureAwait(false);
        if (!removed)
        {
            throw new ControlCommandException($"there is no port mapping on {protocol} {port}");
        }
        return ControlReply.Text($"{stage}: {protocol} {port}: deleted");
    }

    private static async Task<(string Stage, T Result)> RunAsync<T>(ControlRequest request, Func<NatOutbound, T> run)
    {
        string stage = request.ServingStage();
        return (stage, await request.Graph.InvokeAsync(stage, run).ConfigureAwait(false));
    }

    private static string Protocol(byte protocol) => protocol switch
    {
        IpProtocol.Tcp => "tcp",
        IpProtocol.Udp => "udp",
        IpProtocol.Icmp => "icmp",
        _ => Number(protocol),
    };

    private static string Address(uint address) => RouteConfiguration.Text(address);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString(CultureInfo.InvariantCulture);

    private static string Snake(string name) => string.Concat(name.Select((ch, i) => char.IsUpper(ch) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(ch) : ch.ToString()));
}
