using System.Diagnostics;

namespace Flow.Backends.Pcap.Tests;

/// <summary>Records when each packet reached it (Stopwatch ticks), so pacing tests can check every gap.</summary>
public sealed class ArrivalRecorder : Stage<ArrivalRecorder.Output, NoDrop>
{
    public enum Output : byte
    {
        [Port(typeof(Carries.SameAsInput), "every packet")]
        Out,
    }

    private readonly List<long> _arrivals = new();

    /// <summary>Milliseconds from the first packet's arrival to each packet's arrival.</summary>
    public double[] OffsetsMs() => _arrivals.Select(t => (t - _arrivals[0]) * 1000.0 / Stopwatch.Frequency).ToArray();

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        long now = Stopwatch.GetTimestamp();
        for (int i = 0; i < packets.Length; i++)
        {
            _arrivals.Add(now);
            nexts[i] = To(Output.Out);
        }
    }
}
