using System.Globalization;
using Flow.Stages.Ipv4.Internal;

namespace Flow.Stages.Icmp.Internal;

/// <summary>
/// The ICMP verbs, declared by <see cref="IcmpErrorSender"/> (<c>icmp_error</c>): <c>icmp show</c>
/// lists each error sender's rate limits, the tokens its global bucket holds now, the errors it
/// sent by kind, and what it did not send: suppressed (RFC 1812 4.3.2.7 cases and rate limits,
/// its <see cref="Severity.Info"/> drop reasons) and dropped (everything else).
/// </summary>
internal static class IcmpControlCommands
{
    public static IReadOnlyList<IControlCommand> All { get; } =
    [
        new RouterControlCommand("icmp show", "ICMP error senders: rate limits, global tokens left, errors sent by kind, and errors suppressed (RFC 1812 4.3.2.7, rate limits) or dropped, by reason. " +
            "Every icmp_error stage, or the one --stage names.", [], ShowAsync),
    ];

    private static async Task<ControlReply> ShowAsync(ControlRequest request)
    {
        IReadOnlyList<string> stages = request.Stage is null ? request.ServedBy : [request.ServingStage()];
        if (stages.Count == 0)
        {
            _ = request.ServingStage();
        }
        GraphStats stats = request.Graph.GetStats();
        var rows = new List<IReadOnlyList<string>>();
        foreach (string stage in stages)
        {
            (IcmpErrorSenderOptions options, long tokens, IcmpErrorCounters sent) = await request.Graph.InvokeAsync<IcmpErrorSender, (IcmpErrorSenderOptions, long, IcmpErrorCounters)>(
                stage, static s => (s.Options, s.GlobalTokens, s.GetCounters())).ConfigureAwait(false);
            void Row(string what, string name, string value) => rows.Add([stage, what, name, value]);
            Row("limit", "global_per_second", options.GlobalPerSecond == 0 ? "unlimited" : Text(options.GlobalPerSecond));
            Row("limit", "global_burst", Text(options.GlobalBurst));
            Row("limit", "per_destination_interval", options.PerDestinationInterval == TimeSpan.Zero ? "unlimited" : Duration(options.PerDestinationInterval));
            Row("limit", "per_destination_burst", Text(options.PerDestinationBurst));
            Row("limit", "destinations", Text(options.Destinations));
            Row("tokens", "global", options.GlobalPerSecond == 0 ? "unlimited" : Text(tokens));
            Row("sent", "time_exceeded", Text(sent.TimeExceeded));
            Row("sent", "net_unreachable", Text(sent.NetUnreachable));
            Row("sent", "host_unreachable", Text(sent.HostUnreachable));
            Row("sent", "protocol_unreachable", Text(sent.ProtocolUnreachable));
            Row("sent", "port_unreachable", Text(sent.PortUnreachable));
            Row("sent", "fragmentation_needed", Text(sent.FragmentationNeeded));
            Row("sent", "admin_prohibited", Text(sent.AdminProhibited));
            StageStats? counters = stats.Stages.FirstOrDefault(s => s.Name == stage);
            foreach (DropCount drop in counters?.Drops ?? [])
            {
                Row(drop.Severity == Severity.Info ? "suppressed" : "dropped", drop.Reason, Text(drop.Packets));
            }
        }
        return ControlReply.Table(["stage", "what", "name", "value"], rows,
            stages.Count == 1 ? $"{stages[0]}: ICMP errors" : $"{Text(stages.Count)} ICMP error senders");
    }

    private static string Duration(TimeSpan span) =>
        span.TotalSeconds == Math.Floor(span.TotalSeconds) ? $"{Text((long)span.TotalSeconds)}s" : $"{Text((long)span.TotalMilliseconds)}ms";

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
