using System.Globalization;
using Flow.Backends.AfPacket;
using Flow.TestKit;
using Flow.TestKit.Conformance;
using Xunit;

namespace Flow.Backends.Tap.Tests.Conformance;

/// <summary>
/// The conformance suite over a TAP interface: end A is Flow's tap port (<c>tap_rx</c>,
/// <c>tap_tx</c> on the tap's fd), end B the kernel side of the same interface, reached with
/// Flow's <c>af_packet</c> stages bound to it. The tap lives in a private namespace made for the
/// pair, so nothing else sends on it. B's peer going away is the tap's link going down (A's
/// writes then fail with EIO and are counted); it comes back up.
/// <code>
///   private namespace
///   [ A: tap_tx/tap_rx ] ══ /dev/net/tun fd ══ tapX (kernel) ══ AF_PACKET socket [ B: af_packet_rx/tx ]
/// </code>
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class TapConformanceTests : BackendWithPeerConformanceTests
{
    protected override BackendCapabilities Capabilities { get; } = new()
    {
        // No jumbo: tap_rx reads into a pool of default-size frames (2048 bytes) and refuses an
        // MTU they cannot hold, and end B's af_packet_tx slots are 2048 bytes as well.
        MaxFrame = 1514,
        // One queue: on a multi-queue tap the kernel picks the queue a frame leaves on by the
        // frame's flow hash (tun's automatic steering), not by which socket of B sent it, and the
        // suite's frames are all one flow; B's AF_PACKET has no queues of its own.
        Queues = 1,
        // The tap's queue towards tap_rx holds 500 frames, the kernel's per-CPU backlog 1000.
        Window = 128,
    };

    protected override ConformancePair CreatePair(ConformancePairOptions options) => new TapPair(options);

    /// <summary>
    /// The pair opens the tap itself (in its namespace) and hands the fd to A's stages, so the
    /// interface exists before B's sockets bind to it and stays through the peer's down and up.
    /// </summary>
    private sealed class TapPair : ConformancePair
    {
        private readonly ConformancePairOptions _options;
        private readonly NetnsFixture _namespace;
        private readonly NetnsThread _thread;
        private readonly TapDevice _device;
        private readonly long _tapDropsAtStart;

        public TapPair(ConformancePairOptions options)
        {
            _options = options;
            _namespace = new NetnsFixture("ct");
            try
            {
                _thread = new NetnsThread(_namespace);
                Name = NetnsFixture.UniqueName("ct", 15);
                // /dev/net/tun makes the interface in the namespace of the thread that opens it.
                _device = _thread.Invoke(() => TapDevice.Open(new TapOptions { Interface = Name, Mtu = 1500 }));
                _tapDropsAtStart = TapDrops();
            }
            catch
            {
                _device?.Dispose();
                _thread?.Dispose();
                _namespace.Dispose();
                throw;
            }
        }

        public string Name { get; }

        public override Stage CreateRx(PairEnd end, int queue) => end == PairEnd.A
            ? new TapRx(_device, new TapOptions { Interface = Name, PoolFrames = _options.ReceivePoolFrames ?? new TapOptions().PoolFrames })
            : _thread.Invoke(() => new AfPacketRx(_options.ReceivePoolFrames is int frames
                // A small pool and a small kernel ring (two 8 KiB blocks), so the ring fills and the kernel counts its drops.
                ? new AfPacketOptions { Interface = Name, PoolFrames = frames, BlockSize = 8192, BlockCount = 2 }
                : new AfPacketOptions { Interface = Name }));

        public override Stage CreateTx(PairEnd end, int queue) => end == PairEnd.A
            ? new TapTx(_device)
            : _thread.Invoke(() => new AfPacketTx(new AfPacketOptions { Interface = Name }));

        /// <summary>
        /// What the kernel dropped on its way into tap_rx: frames B sent that found the tap's queue
        /// full (the tap's tx_dropped). B's own ring drops are af_packet_rx's kernel_drop.
        /// </summary>
        public override long DropsOutsideGraphs() => TapDrops() - _tapDropsAtStart;

        public override void DisposeGraph(PairEnd end, FlowGraph graph)
        {
            if (end == PairEnd.A)
            {
                graph.Dispose();
            }
            else
            {
                _thread.Invoke(graph.Dispose);
            }
        }

        public override void TakePeerDown() => _namespace.Exec("ip", "link", "set", Name, "down");

        public override void BringPeerBack() => _namespace.Exec("ip", "link", "set", Name, "up");

        /// <summary>The tap's tx_dropped, from /proc/thread-self/net/dev: a thread in the namespace sees the namespace's interfaces there (sysfs would need a remount).</summary>
        private long TapDrops() => _thread.Invoke(() =>
        {
            foreach (string line in File.ReadLines("/proc/thread-self/net/dev"))
            {
                int colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && line.AsSpan(0, colon).Trim().SequenceEqual(Name))
                {
                    // rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes packets errs drop ...
                    string[] fields = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(fields[11], CultureInfo.InvariantCulture);
                }
            }
            throw new InvalidOperationException($"tap '{Name}' is not in /proc/thread-self/net/dev of namespace {_namespace.Name}");
        });

        protected override void Dispose(bool disposing)
        {
            _device.Dispose();
            _thread.Dispose();
            _namespace.Dispose();
        }
    }
}
