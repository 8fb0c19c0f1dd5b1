using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Flow.Protocols;
using Flow.Protocols.Icmp;
using Flow.Protocols.Ipv4;
using Flow.Stages.Ipv4.Internal;

namespace Flow.Stages.Icmp.Internal;

/// <summary>
/// <c>ping &lt;address&gt;</c>, declared by <see cref="IcmpPinger"/>: echo requests sent by the
/// router itself, one every interval, each waited for up to the timeout; one row per probe (the
/// answer, its round trip and TTL, or what went wrong) and a summary line like ping(8)'s.
/// </summary>
internal static class PingControlCommands
{
    /// <summary>A ping ends well within the control client's 30-second wait.</summary>
    private static readonly TimeSpan s_longest = TimeSpan.FromSeconds(25);

    private static readonly TimeSpan s_pollEvery = TimeSpan.FromMilliseconds(2);

    private static readonly ControlValue s_address = new("address", static (name, text) =>
        IPAddress.TryParse(text, out IPAddress? address) && address.AddressFamily == AddressFamily.InterNetwork && text.Count(c => c == '.') == 3
            ? null
            : $"{name} '{text}' is not an IPv4 address (a.b.c.d)");

    public static IReadOnlyList<IControlCommand> All { get; } =
    [
        new RouterControlCommand("ping", "Sends ICMP echo requests from the router itself and shows each answer: reply (round trip, TTL) or the error a router " +
            "on the way sent (unreachable, time exceeded), or none within the timeout. At most 25 s in all.",
            [
                new("address", "The IPv4 address to ping.", s_address) { Positional = true, Required = true },
                new("count", "Requests to send (default 3).", ControlValue.Integer(1, 100)),
                new("size", $"Data bytes per request (default 56, at most {IcmpPinger.MaxDataLength}).", ControlValue.Integer(0, IcmpPinger.MaxDataLength, "bytes")),
                new("interval", "Milliseconds from one request to the next (default 1000).", ControlValue.Integer(1, 10_000, "ms")),
                new("timeout", "Milliseconds to wait for each answer (default 1000).", ControlValue.Integer(1, 10_000, "ms")),
            ], PingAsync),
    ];

    private static async Task<ControlReply> PingAsync(ControlRequest request)
    {
        string stage = request.ServingStage();
        string text = request.Required("address");
        uint destination = new Ipv4Address(IPAddress.Parse(text).GetAddressBytes()).Value.Host;
        int count = request.OptionalInteger("count", 1, 100) ?? 3;
        int size = request.OptionalInteger("size", 0, IcmpPinger.MaxDataLength) ?? 56;
        var interval = TimeSpan.FromMilliseconds(request.OptionalInteger("interval", 1, 10_000) ?? 1000);
        var timeout = TimeSpan.FromMilliseconds(request.OptionalInteger("timeout", 1, 10_000) ?? 1000);
        TimeSpan worst = (count - 1) * interval + timeout;
        if (worst > s_longest)
        {
            throw new ControlCommandException($"count {count} with interval {interval.TotalMilliseconds} ms and timeout {timeout.TotalMilliseconds} ms " +
                $"could take {worst.TotalSeconds:0.#} s; a ping may take at most {s_longest.TotalSeconds:0} s");
        }

        var rows = new List<IReadOnlyList<string>>();
        var rtts = new List<double>();
        uint source = 0;
        for (int i = 0; i < count; i++)
        {
            DateTime started = DateTime.UtcNow;
            PingProbe sent = await request.Graph.InvokeAsync<IcmpPinger, PingProbe>(stage, p => p.SendProbe(destination, size)).ConfigureAwait(false);
            source = sent.Source;
            PingProbe? answered = null;
            while (DateTime.UtcNow - started < timeout)
            {
                PingProbe? now = await request.Graph.InvokeAsync<IcmpPinger, PingProbe?>(stage, p => p.GetProbe(sent.Sequence)).ConfigureAwait(false);
                if (now is { IsAnswered: true })
                {
                    answered = now;
                    break;
                }
                await Task.Delay(s_pollEvery).ConfigureAwait(false);
            }
            rows.Add(Row(sent, answered));
            if (answered is { AnswerType: IcmpType.EchoReply } reply)
            {
                rtts.Add((reply.AnsweredAt - reply.SentAt) / 1e6);
            }
            TimeSpan rest = interval - (DateTime.UtcNow - started);
            if (i + 1 < count && rest > TimeSpan.Zero)
            {
                await Task.Delay(rest).ConfigureAwait(false);
            }
        }
        string summary = $"PING {text} from {Address(source)}: {count} sent, {rtts.Count} received, {Number(100.0 * (count - rtts.Count) / count, "0.#")}% loss" +
            (rtts.Count == 0 ? "" : $", rtt min/avg/max {Number(rtts.Min())}/{Number(rtts.Average())}/{Number(rtts.Max())} ms");
        return ControlReply.Table(["seq", "from", "result", "bytes", "ttl", "time_ms"], rows, summary);
    }

    private static string[] Row(PingProbe sent, PingProbe? answered)
    {
        string seq = sent.Sequence.ToString(CultureInfo.InvariantCulture);
        if (answered is not { } a)
        {
            return [seq, "", "timeout", "", "", ""];
        }
        string result = a.AnswerType switch
        {
            IcmpType.EchoReply => "reply",
            IcmpType.TimeExceeded => "time_exceeded",
            IcmpType.DestinationUnreachable => a.AnswerCode switch
            {
                IcmpType.CodeNetUnreachable => "net_unreachable",
                IcmpType.CodeHostUnreachable => "host_unreachable",
                IcmpType.CodeProtocolUnreachable => "protocol_unreachable",
                IcmpType.CodePortUnreachable => "port_unreachable",
                IcmpType.CodeFragmentationNeeded => "fragmentation_needed",
                IcmpType.CodeAdministrativelyProhibited => "admin_prohibited",
                _ => $"unreachable_code_{a.AnswerCode}",
            },
            _ => $"icmp_type_{a.AnswerType}",
        };
        bool reply = a.AnswerType == IcmpType.EchoReply;
        return [seq, Address(a.From), result, reply ? a.DataLength.ToString(CultureInfo.InvariantCulture) : "", a.TimeToLive.ToString(CultureInfo.InvariantCulture),
            reply ? Number((a.AnsweredAt - a.SentAt) / 1e6) : ""];
    }

    private static string Address(uint host) => new Ipv4Address(new NetU32(host)).ToString();

    private static string Number(double value, string format = "0.000") => value.ToString(format, CultureInfo.InvariantCulture);
}
