using System.Diagnostics;
using System.Text.Json;

namespace Flow.Samples.Iperf3OnFlow;

/// <summary>
/// The time and the process's CPU a test took, from TEST_RUNNING to TEST_END, and the results
/// message each side sends the other (iperf_api.c send_results): CPU use, then per stream its id,
/// bytes, and for UDP the packets, losses and jitter.
/// </summary>
internal sealed class Iperf3Measurement
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly TimeSpan _user;
    private readonly TimeSpan _system;
    private double _userPercent;
    private double _systemPercent;

    public Iperf3Measurement()
    {
        using var process = Process.GetCurrentProcess();
        _user = process.UserProcessorTime;
        _system = process.PrivilegedProcessorTime;
    }

    public TimeSpan Duration { get; private set; }

    public void Stop()
    {
        Duration = Stopwatch.GetElapsedTime(_started);
        using var process = Process.GetCurrentProcess();
        double seconds = Math.Max(Duration.TotalSeconds, 1e-6);
        _userPercent = (process.UserProcessorTime - _user).TotalSeconds / seconds * 100;
        _systemPercent = (process.PrivilegedProcessorTime - _system).TotalSeconds / seconds * 100;
    }

    /// <summary>The results of <paramref name="streams"/>, which this side sent (<paramref name="sending"/>) or received.</summary>
    public void WriteResults(Utf8JsonWriter w, IReadOnlyList<Iperf3Stream> streams, bool sending)
    {
        w.WriteNumber("cpu_util_total", _userPercent + _systemPercent);
        w.WriteNumber("cpu_util_user", _userPercent);
        w.WriteNumber("cpu_util_system", _systemPercent);
        // A sender here does not count retransmissions (0: none reported); a receiver has none to report (-1, as iperf3's own).
        w.WriteNumber("sender_has_retransmits", sending ? 0 : -1);
        w.WriteStartArray("streams");
        foreach (Iperf3Stream s in streams)
        {
            w.WriteStartObject();
            w.WriteNumber("id", s.Id);
            w.WriteNumber("bytes", s.Bytes);
            w.WriteNumber("retransmits", -1);
            w.WriteNumber("jitter", sending ? 0 : s.JitterSeconds);
            w.WriteNumber("errors", sending ? 0 : s.Errors);
            w.WriteNumber("omitted_errors", 0);
            w.WriteNumber("packets", s.Packets);
            w.WriteNumber("omitted_packets", 0);
            w.WriteNumber("start_time", 0);
            w.WriteNumber("end_time", Duration.TotalSeconds);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
