namespace Flow.Samples.Iperf3OnFlow;

/// <summary>One test as one side saw it: what the client asked for and what that side sent or received in all streams.</summary>
/// <param name="Params">The client's parameters.</param>
/// <param name="Duration">From <see cref="Iperf3State.TestRunning"/> to the client's <see cref="Iperf3State.TestEnd"/>.</param>
/// <param name="Bytes">Bytes the side sent or received.</param>
/// <param name="Packets">UDP datagrams sent, or the highest packet counts received, summed over the streams.</param>
/// <param name="LostPackets">UDP datagrams lost on the way, as the receiving side counts them (0 for the sending side).</param>
public sealed record Iperf3TestSummary(Iperf3Params Params, TimeSpan Duration, long Bytes, long Packets, long LostPackets)
{
    public override string ToString() =>
        $"{(Params.Udp ? "UDP" : "TCP")} {(Params.Reverse ? "server to client" : "client to server")}, {Params.Parallel} stream(s): " +
        $"{Bytes} bytes in {Duration.TotalSeconds:F2} s, {Bytes * 8 / Math.Max(Duration.TotalSeconds, 1e-3) / 1e6:F1} Mbit/s" +
        (Params.Udp ? $", {Packets} datagrams, {LostPackets} lost" : "");
}
