using Flow.TestKit.Conformance;
using Xunit;

namespace Flow.Backends.Pcap.Tests.Conformance;

/// <summary>
/// The conformance suite over a pcap file: A's pcap_tx writes it, then B's pcap_rx reads it
/// back. One way only, and the reader starts once the writer has closed the file.
/// </summary>
[Collection(nameof(PcapCollection))]
public sealed class PcapConformanceTests : BackendConformanceTests
{
    protected override BackendCapabilities Capabilities { get; } = new()
    {
        MinFrame = ConformanceFrames.MinLength,
        MaxFrame = 1514,
        // The snap length is 65535; the replay pool below takes 9014-byte frames.
        JumboFrame = 9014,
        BothWays = false,
        StoreAndForward = true,
        Window = 0,
    };

    protected override ConformancePair CreatePair(ConformancePairOptions options) => new PcapPair(options);

    private sealed class PcapPair(ConformancePairOptions options) : ConformancePair
    {
        private readonly TempDirectory _directory = new();
        private readonly List<PcapRx> _readers = [];

        private string Path => System.IO.Path.Combine(_directory.Path, "conformance.pcap");

        public override Stage CreateRx(PairEnd end, int queue)
        {
            Assert.Equal(PairEnd.B, end);
            var rx = new PcapRx(new PcapOptions { Path = Path, FrameSize = 16384, PoolFrames = options.ReceivePoolFrames ?? 4096 });
            _readers.Add(rx);
            return rx;
        }

        // An empty replay pool makes pcap_rx wait (the records stay in the file); its pool counts the refusals.
        public override long PoolEmptyEvents() => _readers.Sum(r => r.Pool.AllocationFailures);

        public override Stage CreateTx(PairEnd end, int queue)
        {
            Assert.Equal(PairEnd.A, end);
            return new PcapTx(new PcapOptions { Path = Path });
        }

        protected override void Dispose(bool disposing) => _directory.Dispose();
    }
}
