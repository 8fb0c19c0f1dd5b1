using Flow.TestKit.Conformance;
using Xunit;

namespace Flow.Backends.AfXdp.Tests.Conformance;

/// <summary>
/// The conformance suite over AF_XDP on both ends of a two-queue veth link, end B in a private
/// namespace (<see cref="VethConformancePair"/>): a frame sent on queue q leaves on the
/// sender's veth queue q and arrives on the peer's rx queue q.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class AfXdpConformanceTests : BackendWithPeerConformanceTests
{
    private const int Queues = 2;

    protected override BackendCapabilities Capabilities { get; } = new()
    {
        MaxFrame = 1514,
        Queues = Queues,
        // veth's XDP ring towards the peer holds 256 frames.
        Window = 128,
    };

    protected override ConformancePair CreatePair(ConformancePairOptions options) => new AfXdpPair(options);

    private sealed class AfXdpPair(ConformancePairOptions options) : VethConformancePair(Queues)
    {
        private readonly List<(string Interface, AfXdpRx Rx)> _receivers = [];

        private AfXdpOptions OptionsFor(string interfaceName, int queue) => options.ReceivePoolFrames is int
            // Fewer UMEM frames and shorter rings, so holding what arrives empties the fill ring.
            ? new AfXdpOptions { Interface = interfaceName, Queue = queue, QueueCount = Queues, FrameCount = 1024, RingSize = 512 }
            : new AfXdpOptions { Interface = interfaceName, Queue = queue, QueueCount = Queues };

        protected override Stage CreateRx(string interfaceName, int queue)
        {
            var rx = new AfXdpRx(OptionsFor(interfaceName, queue));
            lock (_receivers)
            {
                _receivers.Add((interfaceName, rx));
            }
            return rx;
        }

        protected override Stage CreateTx(string interfaceName, int queue) => new AfXdpTx(OptionsFor(interfaceName, queue));

        /// <summary>What the kernel dropped at each live socket (XDP_STATISTICS). Not the veth counters: they also count frames a socket took and the stack then ignored, and XDP redirect failures the socket counts too.</summary>
        public override long DropsOutsideGraphs()
        {
            long sockets = 0;
            lock (_receivers)
            {
                foreach ((_, AfXdpRx rx) in _receivers)
                {
                    AfXdpStatistics stats = rx.GetStatistics();
                    sockets += (long)(stats.RxDropped + stats.RxRingFull);
                }
            }
            return sockets;
        }

        /// <summary>Forgets the end's sockets before they close (their counters go with them).</summary>
        public override void DisposeGraph(PairEnd end, FlowGraph graph)
        {
            string name = end == PairEnd.A ? Veth.HostName : Veth.PeerName;
            lock (_receivers)
            {
                _receivers.RemoveAll(r => r.Interface == name);
            }
            base.DisposeGraph(end, graph);
        }
    }
}
