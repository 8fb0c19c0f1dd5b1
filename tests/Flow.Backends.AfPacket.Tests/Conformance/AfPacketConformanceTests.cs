using Flow.TestKit.Conformance;
using Xunit;

namespace Flow.Backends.AfPacket.Tests.Conformance;

/// <summary>
/// The conformance suite over AF_PACKET on both ends of a veth link, end B in a private namespace
/// (<see cref="VethConformancePair"/>). One queue: AF_PACKET spreads with fanout, not queues.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class AfPacketConformanceTests : BackendWithPeerConformanceTests
{
    protected override BackendCapabilities Capabilities { get; } = new()
    {
        MaxFrame = 1514,
        // The kernel's per-CPU backlog (netdev_max_backlog, 1000) sits between the veth ends.
        Window = 128,
    };

    protected override ConformancePair CreatePair(ConformancePairOptions options) => new AfPacketPair(options);

    private sealed class AfPacketPair(ConformancePairOptions options) : VethConformancePair
    {
        protected override Stage CreateRx(string interfaceName, int queue) => new AfPacketRx(options.ReceivePoolFrames is int frames
            // A small pool and a small kernel ring (two 8 KiB blocks), so the ring fills and the kernel counts its drops.
            ? new AfPacketOptions { Interface = interfaceName, PoolFrames = frames, BlockSize = 8192, BlockCount = 2 }
            : new AfPacketOptions { Interface = interfaceName });

        protected override Stage CreateTx(string interfaceName, int queue) => new AfPacketTx(new AfPacketOptions { Interface = interfaceName });
    }
}
