namespace Flow.Backends.Dpdk;

/// <summary>A DPDK call failed: EAL start-up, a device that does not probe, a port that does not start.</summary>
public sealed class DpdkException : Exception
{
    public DpdkException(string message, int error = 0)
        : base(message)
    {
        Error = error;
    }

    /// <summary>The errno (positive) DPDK returned, 0 when none.</summary>
    public int Error { get; }
}
