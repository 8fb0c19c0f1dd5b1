using System.Buffers.Binary;
using Flow.Benchmarks.Infrastructure;

namespace Flow.Benchmarks.Router;

/// <summary>
/// The router's content check, between <c>arp_resolve</c> and one port's tx: the first frame of
/// every 16th burst leaving by that port must be a whole <see cref="TestFrames"/> frame (length,
/// IPv4 header checksum — so the incremental update after the TTL decrement is checked —, UDP
/// header, pattern derived from its sequence), with TTL 63, the gateway's MAC as destination, the
/// port's MAC as source and a destination in the port's prefix — or, with the million routes of
/// <see cref="RouterFlows"/>, a destination whose longest match leaves by this port. Any other frame is corrupt. What
/// the ARP stage sends on the port does not pass here. The check's cost counts as Flow's.
/// Counters are written by the worker and read after the graph stopped.
/// </summary>
[Stage("bench_router_check", "Benchmark stage: verifies sampled routed frames (TTL, MACs, checksum, payload) and passes everything on.")]
internal sealed class RouterFrameCheck : Stage<RouterFrameCheck.Output, NoDrop>
{
    private const int SampleEvery = 16;

    private readonly byte[] _gateway;
    private readonly byte[] _router;
    private readonly int _side;
    private readonly RouterFlows? _flows;
    private long _bursts;
    private long _checked;
    private long _corrupt;

    public RouterFrameCheck(RouterFrameCheckOptions options, RouterFlows? flows = null)
    {
        _flows = flows;
        ArgumentNullException.ThrowIfNull(options);
        int side = options.Side;
        _side = side;
        _gateway = TestFrames.Mac(RouterTraffic.GatewayMacs[side]);
        _router = TestFrames.Mac(RouterTraffic.RouterMacs[side]);
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "every frame, after the check")]
        Out,
    }

    public long Checked => Volatile.Read(ref _checked);

    public long Corrupt => Volatile.Read(ref _corrupt);

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        if (packets.Length > 0 && _bursts++ % SampleEvery == 0)
        {
            _checked++;
            _corrupt += Intact(packets[0].Data) ? 0 : 1;
        }
        nexts.Slice(0, packets.Length).Fill(To(Output.Out));
    }

    private bool Intact(ReadOnlySpan<byte> frame) =>
        TestFrames.Verify(frame, out _) &&
        frame[..6].SequenceEqual(_gateway) && frame[6..12].SequenceEqual(_router) &&
        frame[22] == 63 &&
        (_flows is { } flows
            ? flows.SideOf.TryGetValue(BinaryPrimitives.ReadUInt32BigEndian(frame[30..]), out int side) && side == _side
            : BinaryPrimitives.ReadUInt16BigEndian(frame[30..]) == (198 << 8 | 18) && frame[32] == _side);
}
