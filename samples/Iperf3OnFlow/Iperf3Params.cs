using System.Text.Json;

namespace Flow.Samples.Iperf3OnFlow;

/// <summary>
/// The test a client asks for: the JSON object it sends after <see cref="Iperf3State.ParamExchange"/>
/// (iperf_api.c send_parameters), with the fields this server acts on.
/// </summary>
/// <param name="Udp">UDP data streams (<c>-u</c>); TCP otherwise.</param>
/// <param name="Reverse">The server sends (<c>-R</c>).</param>
/// <param name="Bidirectional">Both send (<c>--bidir</c>); not supported here.</param>
/// <param name="Parallel">Data streams (<c>-P</c>).</param>
/// <param name="Length">Bytes per write, or per datagram for UDP (<c>-l</c>).</param>
/// <param name="Bandwidth">Bits a second each stream sends at most (<c>-b</c>); 0 for no limit.</param>
/// <param name="Bytes">Bytes to send in all (<c>-n</c>); 0 when the test is timed.</param>
/// <param name="Seconds">The test's length (<c>-t</c>); the client ends it with <see cref="Iperf3State.TestEnd"/>.</param>
/// <param name="UdpCounters64Bit">UDP datagrams carry a 64-bit packet counter (<c>--udp-counters-64bit</c>).</param>
public sealed record Iperf3Params(bool Udp = false, bool Reverse = false, bool Bidirectional = false, int Parallel = 1, int Length = 128 * 1024,
    long Bandwidth = 0, long Bytes = 0, double Seconds = 10, bool UdpCounters64Bit = false)
{
    public static Iperf3Params Parse(JsonElement root) => new(
        Udp: Flag(root, "udp"),
        Reverse: Flag(root, "reverse"),
        Bidirectional: Flag(root, "bidirectional"),
        Parallel: (int)Math.Max(1, Number(root, "parallel", 1)),
        Length: (int)Number(root, "len", Flag(root, "udp") ? 1460 : 128 * 1024),
        Bandwidth: Number(root, "bandwidth", 0),
        Bytes: Number(root, "num", 0),
        Seconds: root.TryGetProperty("time", out JsonElement time) && time.ValueKind == JsonValueKind.Number ? time.GetDouble() : 10,
        UdpCounters64Bit: Flag(root, "udp_counters_64bit"));

    // cJSON writes iperf3's switches as true, or as the number 1 (udp_counters_64bit).
    private static bool Flag(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement value) && (value.ValueKind == JsonValueKind.True || (value.ValueKind == JsonValueKind.Number && value.GetDouble() != 0));

    private static long Number(JsonElement root, string name, long otherwise) =>
        root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number ? (long)value.GetDouble() : otherwise;
}
