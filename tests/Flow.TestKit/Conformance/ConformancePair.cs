namespace Flow.TestKit.Conformance;

/// <summary>
/// Two connected endpoints of one backend, A and B: what A's tx stage of queue q sends, B's rx
/// stage of queue q receives, and back. A leaf of <see cref="BackendConformanceTests"/> makes
/// one; the suite builds a graph per end from the stages it hands out. Disposing the pair
/// removes whatever it made (wires, sockets, interfaces, namespaces, files).
/// </summary>
public abstract class ConformancePair : IDisposable
{
    /// <summary>A new rx stage for <paramref name="queue"/> of <paramref name="end"/>.</summary>
    public abstract Stage CreateRx(PairEnd end, int queue);

    /// <summary>A new tx stage for <paramref name="queue"/> of <paramref name="end"/>.</summary>
    public abstract Stage CreateTx(PairEnd end, int queue);

    /// <summary>
    /// Frames dropped and counted outside the graphs' stage counters since the pair was made
    /// (a socket's PACKET_STATISTICS, XDP statistics, interface drop counters): the suite's
    /// conservation check adds them to the graphs' drops.
    /// </summary>
    public virtual long DropsOutsideGraphs() => 0;

    /// <summary>
    /// Times the backend found a pool empty and waited instead of dropping, since the pair was
    /// made (its rx pools' <see cref="PacketPool.AllocationFailures"/>): exhaustion counted, not lost.
    /// </summary>
    public virtual long PoolEmptyEvents() => 0;

    /// <summary>Disposes the (stopped) graph of <paramref name="end"/>; an end living in another namespace does it there.</summary>
    public virtual void DisposeGraph(PairEnd end, FlowGraph graph) => graph.Dispose();

    /// <summary>Makes end B's peer go away: the suite has stopped and disposed B's graph first.</summary>
    public virtual void TakePeerDown() => throw new NotSupportedException("this backend has no notion of a peer");

    /// <summary>Brings end B back, ready for new stages.</summary>
    public virtual void BringPeerBack() => throw new NotSupportedException("this backend has no notion of a peer");

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected abstract void Dispose(bool disposing);
}
