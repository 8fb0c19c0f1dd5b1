namespace Flow.Samples.Iperf3OnFlow;

/// <summary>An iperf3 server turned the test down: busy with another (<see cref="Iperf3State.AccessDenied"/>), or with one of iperf3's error codes (<see cref="Iperf3State.ServerError"/>).</summary>
public sealed class Iperf3RefusedException : Exception
{
    public Iperf3RefusedException(string message, int iperfError = 0)
        : base(message)
    {
        IperfError = iperfError;
    }

    public Iperf3RefusedException()
    {
    }

    public Iperf3RefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>iperf3's i_errno (iperf_api.h) when the server sent one; 0 otherwise.</summary>
    public int IperfError { get; }
}
