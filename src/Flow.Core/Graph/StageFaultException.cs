namespace Flow;

/// <summary>A stage threw on its worker; the graph stopped. Names the stage and the worker.</summary>
public sealed class StageFaultException : Exception
{
    public StageFaultException(string stage, int worker, Exception inner)
        : base($"stage '{stage}' on worker {worker} threw {inner.GetType().Name}: {inner.Message}", inner)
    {
        Stage = stage;
        Worker = worker;
    }

    public string Stage { get; }

    public int Worker { get; }
}
