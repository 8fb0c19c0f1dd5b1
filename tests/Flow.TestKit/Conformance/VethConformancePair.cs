namespace Flow.TestKit.Conformance;

/// <summary>
/// A pair over a veth link: end A on the host end in the test's namespace, end B on the peer end
/// inside a private namespace made for the pair, its stages made (and torn down) on a thread in
/// that namespace. The peer goes away by losing its stages and its link; it comes back up.
/// <code>
///   test namespace                       private namespace
///   [ A stages ] host ══════ veth ══════ peer [ B stages ]
/// </code>
/// </summary>
public abstract class VethConformancePair : ConformancePair
{
    protected VethConformancePair(int queues = 1)
    {
        Namespace = new NetnsFixture("cf");
        try
        {
            Veth = new VethPair(Namespace, "c", queues);
            Thread = new NetnsThread(Namespace);
        }
        catch
        {
            Veth?.Dispose();
            Namespace.Dispose();
            throw;
        }
    }

    public NetnsFixture Namespace { get; }

    public VethPair Veth { get; }

    /// <summary>The thread that makes and disposes end B's stages.</summary>
    public NetnsThread Thread { get; }

    public sealed override Stage CreateRx(PairEnd end, int queue) =>
        end == PairEnd.A ? CreateRx(Veth.HostName, queue) : Thread.Invoke(() => CreateRx(Veth.PeerName, queue));

    public sealed override Stage CreateTx(PairEnd end, int queue) =>
        end == PairEnd.A ? CreateTx(Veth.HostName, queue) : Thread.Invoke(() => CreateTx(Veth.PeerName, queue));

    /// <summary>An rx stage on <paramref name="interfaceName"/>, called in the interface's namespace.</summary>
    protected abstract Stage CreateRx(string interfaceName, int queue);

    /// <summary>A tx stage on <paramref name="interfaceName"/>, called in the interface's namespace.</summary>
    protected abstract Stage CreateTx(string interfaceName, int queue);

    public override void DisposeGraph(PairEnd end, FlowGraph graph)
    {
        if (end == PairEnd.A)
        {
            graph.Dispose();
        }
        else
        {
            Thread.Invoke(graph.Dispose);
        }
    }

    public override void TakePeerDown() => Namespace.Exec("ip", "link", "set", Veth.PeerName, "down");

    public override void BringPeerBack() => Namespace.Exec("ip", "link", "set", Veth.PeerName, "up");

    protected override void Dispose(bool disposing)
    {
        Thread.Dispose();
        Veth.Dispose();
        Namespace.Dispose();
    }
}
