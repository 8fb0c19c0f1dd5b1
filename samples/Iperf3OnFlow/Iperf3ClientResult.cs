namespace Flow.Samples.Iperf3OnFlow;

/// <summary>A test as <see cref="Iperf3Client"/> measured it and as the server reported it in its results.</summary>
/// <param name="Client">What the client sent or received.</param>
/// <param name="Server">What the server said it received or sent (its losses and packet counts for UDP towards it).</param>
public sealed record Iperf3ClientResult(Iperf3TestSummary Client, Iperf3TestSummary Server);
