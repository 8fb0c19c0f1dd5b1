namespace Flow.Benchmarks.Backends.AfXdp;

/// <summary>A testpmd that did not start, or counted nothing: counted and retried by the scenario, with testpmd's output.</summary>
internal sealed class FailedStartException(string message, string output) : Exception(message)
{
    public string Output { get; } = output;
}
