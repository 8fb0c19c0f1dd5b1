using Flow.TestKit;
using Flow.TestKit.Conformance;
using Xunit;

namespace Flow.Backends.Memif.Tests.Conformance;

/// <summary>
/// The conformance suite over memif between two Flow interfaces in one process (two
/// applications' worth of graphs), with end A in <paramref name="roleOfA"/> and B in the other
/// role; B is the peer that goes away (its interface is disposed) and comes back.
/// </summary>
public abstract class MemifConformanceTests(MemifRole roleOfA) : BackendWithPeerConformanceTests
{
    protected override BackendCapabilities Capabilities { get; } = new()
    {
        MaxFrame = 1514,
        // 2048-byte buffers chained up to MaxFrameSize (9216).
        JumboFrame = 9014,
        Queues = 2,
        // A 1024-slot ring per queue and a 9014-byte frame takes 5 of its 2048-byte buffers;
        // memif has no back-pressure, so stay inside the ring.
        Window = 128,
    };

    protected override ConformancePair CreatePair(ConformancePairOptions options) => new MemifPair(roleOfA, options);

    private sealed class MemifPair : ConformancePair
    {
        private readonly MemifOptions _a;
        private readonly MemifOptions _b;
        private readonly MemifInterface _endA;
        private MemifInterface? _endB;

        public MemifPair(MemifRole roleOfA, ConformancePairOptions options)
        {
            string socket = MemifTestNames.Socket("conformance");
            var common = new MemifOptions { Socket = socket, QueuePairs = 2, InterfaceId = 7 };
            _a = common with { Role = roleOfA };
            _b = common with { Role = roleOfA == MemifRole.Server ? MemifRole.Client : MemifRole.Server };
            if (options.ReceivePoolFrames is int frames)
            {
                // A server receives into its copy pool; a client into its shared buffers, which also
                // fill its rx rings (2 × 1024 slots) before any frame arrives.
                _b = _b.Role == MemifRole.Server ? _b with { CopyPoolFrames = frames } : _b with { PoolFrames = 2 * 1024 + frames };
            }
            _endA = MemifInterface.Create(_a);
            _endB = MemifInterface.Create(_b);
            WaitConnected(_endA);
            WaitConnected(_endB);
        }

        private static void WaitConnected(MemifInterface memif) =>
            Assert.True(memif.WaitConnected(Waits.Limit), $"{memif.DisplayName} did not connect: {memif.LastDisconnectReason}");

        private MemifInterface Of(PairEnd end) => end == PairEnd.A ? _endA : _endB ?? throw new InvalidOperationException("end B is down");

        public override Stage CreateRx(PairEnd end, int queue) => new MemifRx(Of(end), queue);

        public override Stage CreateTx(PairEnd end, int queue) => new MemifTx(Of(end), queue);

        public override void TakePeerDown()
        {
            _endB?.Dispose();
            _endB = null;
            Assert.True(Waits.TryUntilBlocking(() => !_endA.IsConnected), $"{_endA.DisplayName} did not notice its peer went away");
        }

        public override void BringPeerBack()
        {
            _endB = MemifInterface.Create(_b);
            Assert.True(_endA.WaitConnections(2, Waits.Limit), $"{_endA.DisplayName} did not reconnect: {_endA.LastDisconnectReason}");
            WaitConnected(_endB);
        }

        protected override void Dispose(bool disposing)
        {
            _endB?.Dispose();
            _endA.Dispose();
        }
    }
}
