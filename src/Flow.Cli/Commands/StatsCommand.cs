using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Flow.Hosting;
using Spectre.Console;

namespace Flow.Cli;

/// <summary>
/// <c>flow stats [address:port]</c>: reads the Prometheus endpoint of a running
/// <c>flow run --metrics</c> and prints per-stage totals, ring occupancy, worker busy ratio and
/// the non-zero counters of the ports' own devices (DPDK xstats, AF_XDP's kernel counters).
/// </summary>
internal static partial class StatsCommand
{
    public static Command Create()
    {
        var address = new Argument<string>("address")
        {
            Description = "The --metrics address of a running 'flow run'.",
            DefaultValueFactory = _ => "127.0.0.1:9464",
        };
        var command = new Command("stats", "Print the counters of a running 'flow run --metrics <address>' (per stage, per port, per drop reason; rings; workers).")
        {
            address,
        };
        command.SetAction((parse, token) => ShowAsync(parse.GetValue(address)!, token));
        return command;
    }

    private static async Task<int> ShowAsync(string address, CancellationToken cancellationToken)
    {
        if (!PrometheusEndpoint.TryParseLoopback(address, out IPEndPoint endPoint, out string problem))
        {
            CliOutput.Error(problem);
            return ExitCodes.MetricsUnavailable;
        }
        string text;
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            text = await http.GetStringAsync($"http://{endPoint}/metrics", cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            CliOutput.Error($"cannot read http://{endPoint}/metrics: {e.Message} (is 'flow run --metrics {address}' running?)");
            return ExitCodes.MetricsUnavailable;
        }

        var samples = new List<(string Name, Dictionary<string, string> Labels, double Value)>();
        foreach (string line in text.Split('\n'))
        {
            Match m = SamplePattern().Match(line);
            if (!m.Success)
            {
                continue;
            }
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in LabelPattern().Matches(m.Groups[2].Value))
            {
                labels[label.Groups[1].Value] = label.Groups[2].Value.Replace("\\\"", "\"").Replace("\\\\", "\\");
            }
            if (double.TryParse(m.Groups[3].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                samples.Add((m.Groups[1].Value, labels, value));
            }
        }
        bool Has(string metric, string stage) => samples.Any(s => s.Name == metric && s.Labels.GetValueOrDefault("stage") == stage);
        double Sum(string metric, string stage) => samples.Where(s => s.Name == metric && s.Labels.GetValueOrDefault("stage") == stage).Sum(s => s.Value);

        var table = new Table().Border(Console.IsOutputRedirected ? TableBorder.Ascii : TableBorder.Rounded).Title($"flow stats {endPoint}");
        foreach (string column in new[] { "stage", "type", "in", "out", "dropped", "consumed", "drops by reason" })
        {
            table.AddColumn(column);
        }
        foreach (var stage in samples.Where(s => s.Name == "flow_stage_in_packets_total"))
        {
            string name = stage.Labels["stage"];
            string drops = string.Join(", ", samples.Where(s => s.Name == "flow_stage_drops_total" && s.Labels.GetValueOrDefault("stage") == name && s.Value > 0)
                .Select(s => $"{s.Labels["reason"]} {s.Value:F0}"));
            table.AddRow(Markup.Escape(name), Markup.Escape(stage.Labels.GetValueOrDefault("type") ?? ""), $"{stage.Value:F0}",
                $"{Sum("flow_stage_packets_total", name):F0}", $"{Sum("flow_stage_drops_total", name):F0}",
                // A transmitting stage's packets are sent: "12 sent" in the same column keeps the table narrow.
                Has("flow_stage_sent_packets_total", name) ? $"{Sum("flow_stage_sent_packets_total", name):F0} sent" : $"{Sum("flow_stage_consumed_packets_total", name):F0}", drops.Length == 0 ? "-" : Markup.Escape(drops));
        }
        foreach (var ring in samples.Where(s => s.Name == "flow_ring_occupancy"))
        {
            table.AddRow("ring " + Markup.Escape(ring.Labels["ring"]), "", "", "", "", "", $"occupancy {ring.Value:F0}");
        }
        foreach (var worker in samples.Where(s => s.Name == "flow_worker_busy_ratio"))
        {
            table.AddRow("worker " + Markup.Escape(worker.Labels["worker"]), "", "", "", "", "", $"busy {worker.Value:P0}");
        }
        // The ports' own devices (DPDK xstats, AF_XDP's kernel counters): the non-zero ones, which
        // are the ones that explain a loss Flow's stages never saw.
        foreach (var device in samples.Where(s => s.Name == "flow_device_counter").GroupBy(s => s.Labels.GetValueOrDefault("device") ?? ""))
        {
            string counters = string.Join(", ", device.Where(s => s.Value != 0).Select(s => $"{s.Labels.GetValueOrDefault("name")} {s.Value:F0}"));
            table.AddRow("device " + Markup.Escape(device.Key), "", "", "", "", "", counters.Length == 0 ? "all counters 0" : Markup.Escape(counters));
        }
        AnsiConsole.Write(table);
        return ExitCodes.Success;
    }

    [GeneratedRegex(@"^([a-z_]+)\{(.*)\} (\S+)$")]
    private static partial Regex SamplePattern();

    [GeneratedRegex(@"([a-z_]+)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPattern();
}
