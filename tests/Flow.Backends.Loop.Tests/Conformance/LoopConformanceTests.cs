using Flow.TestKit.Conformance;
using Xunit;

namespace Flow.Backends.Loop.Tests.Conformance;

/// <summary>
/// The conformance suite over an in-memory loop wire: A is the wire's end a, B its end b.
/// Zero copy, so the receive side's "pool" is the wire's ring and the sender's pool.
/// </summary>
[Collection(nameof(LoopCollection))]
public sealed class LoopConformanceTests : BackendConformanceTests
{
    protected override BackendCapabilities Capabilities { get; } = new()
    {
        MinFrame = Flow.TestKit.Conformance.ConformanceFrames.MinLength,
        MaxFrame = 1514,
        // Frames are the sender's: any length its pool holds.
        JumboFrame = 9014,
        Window = 1024,
    };

    protected override ConformancePair CreatePair(ConformancePairOptions options) =>
        new LoopPair(new LoopWire($"conformance-{Guid.NewGuid():N}", options.ReceivePoolFrames ?? LoopWire.DefaultCapacity));

    private sealed class LoopPair(LoopWire wire) : ConformancePair
    {
        public override Stage CreateRx(PairEnd end, int queue) => new LoopRx(end == PairEnd.A ? wire.A : wire.B);

        public override Stage CreateTx(PairEnd end, int queue) => new LoopTx(end == PairEnd.A ? wire.A : wire.B);

        protected override void Dispose(bool disposing) => wire.Dispose();
    }
}
