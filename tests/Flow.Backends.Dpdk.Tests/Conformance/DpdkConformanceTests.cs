using Flow.TestKit.Conformance;
using Xunit;

namespace Flow.Backends.Dpdk.Tests.Conformance;

/// <summary>
/// The conformance suite over DPDK ports on both ends of a veth link: net_af_packet on each end,
/// end B probed from a thread in a private namespace (<see cref="VethConformancePair"/>), so its
/// socket lives there. One EAL serves both ends.
/// </summary>
[Collection(nameof(DpdkCollection))]
public sealed class DpdkConformanceTests : BackendWithPeerConformanceTests
{
    public DpdkConformanceTests()
    {
        Devices.Require();
    }

    protected override BackendCapabilities Capabilities { get; } = new()
    {
        MaxFrame = 1514,
        // The kernel's per-CPU backlog (netdev_max_backlog, 1000) sits between the veth ends.
        Window = 128,
    };

    protected override ConformancePair CreatePair(ConformancePairOptions options) => new DpdkPair(options);

    private sealed class DpdkPair(ConformancePairOptions options) : VethConformancePair
    {
        private readonly List<DpdkRx> _rx = [];
        private long _kernelDrops;

        // A small pool: net_af_packet copies from the kernel ring into an mbuf, and with none free
        // leaves the frame in the ring (rx_nombuf) until the kernel ring overflows.
        private DpdkOptions Options(string interfaceName) => options.ReceivePoolFrames is int frames
            ? new DpdkOptions { Interface = interfaceName, PoolMbufs = Math.Max(frames, 64), PoolCache = 0, RxDescriptors = 16 }
            : new DpdkOptions { Interface = interfaceName, PoolMbufs = 4095 };

        protected override Stage CreateRx(string interfaceName, int queue)
        {
            var rx = new DpdkRx(Options(interfaceName));
            lock (_rx)
            {
                _rx.Add(rx);
            }
            return rx;
        }

        protected override Stage CreateTx(string interfaceName, int queue) => new DpdkTx(Options(interfaceName));

        /// <summary>
        /// Frames the kernel dropped at the pair's packet sockets (a full TPACKET ring): DPDK
        /// 22.11's net_af_packet neither reads PACKET_STATISTICS nor counts a missing mbuf, so the
        /// kernel's own count is read here from the PMD's sockets, found among this process's fds
        /// (only these tests' DPDK ports hold packet sockets; a read resets the kernel's counters,
        /// which the PMD never reads, so they are added up).
        /// </summary>
        public override long DropsOutsideGraphs()
        {
            lock (_rx)
            {
                _kernelDrops += PacketSocketDrops.ReadAndReset();
                return _kernelDrops;
            }
        }

        public override long PoolEmptyEvents()
        {
            lock (_rx)
            {
                return _rx.Sum(r => r.Port.IsOpen ? r.Port.Statistics.NoMbuf : r.NoMbufEvents);
            }
        }
    }
}
