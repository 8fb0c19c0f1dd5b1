namespace Flow;

/// <summary>Where a graph is in its life.</summary>
public enum GraphState
{
    Built,
    Running,
    /// <summary>Sources are no longer polled; packets in flight are being processed.</summary>
    Draining,
    Stopping,
    Stopped,
    Faulted,
}
