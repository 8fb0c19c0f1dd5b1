using System.Diagnostics.Metrics;

namespace Flow.Backends.Dpdk;

/// <summary>
/// The open DPDK ports' extended statistics as the observable counter <c>flow.port.xstats</c>
/// (tags <c>port</c>: the device string, <c>name</c>: the driver's xstat name) on Flow's meter,
/// so dotnet-counters and OpenTelemetry read them beside the stage counters. Read on the
/// collector's thread when it asks (rte_eth_xstats_get), never on a worker.
/// </summary>
internal static class DpdkMetrics
{
    private static readonly Meter s_meter = new(FlowMetrics.MeterName);

    static DpdkMetrics()
    {
        s_meter.CreateObservableCounter("flow.port.xstats", Observe, "{count}", "a DPDK port's extended statistics (rte_eth_xstats)");
    }

    /// <summary>Makes sure the instrument exists (called when the first port opens).</summary>
    public static void Touch()
    {
    }

    private static IEnumerable<Measurement<long>> Observe()
    {
        foreach (DpdkPort port in DpdkPools.All)
        {
            if (!port.IsOpen)
            {
                continue;
            }
            foreach (KeyValuePair<string, ulong> xstat in port.ReadExtendedStatistics())
            {
                yield return new Measurement<long>((long)xstat.Value, new KeyValuePair<string, object?>("port", port.Device),
                    new KeyValuePair<string, object?>("name", xstat.Key));
            }
        }
    }
}
