using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Flow.Benchmarks.Infrastructure;
using Flow.Protocols.Ethernet;
using Flow.Stages.Switching;
using Flow.Stages.Vlan;

namespace Flow.Benchmarks.Stages.Switching;

/// <summary>
/// Cost per packet of switching a 32-frame burst of known unicast between access ports:
/// <c>vlan_classifier → mac_learner → l2_forwarder → vlan_tagger</c> called batch by batch as a
/// worker would, against a naive switch written the obvious way (parse the tag, learn and look
/// up in a <see cref="Dictionary{TKey, TValue}"/> keyed by (VLAN, MAC), per-port VLAN check).
/// Frames come from 32 hosts on two access ports of VLAN 10, each to a learned peer on the other
/// port: the first 16 from host_a, the rest from host_b, as two rx bursts reach the classifier
/// one after the other. Every frame is its own flow — the worst case for the per-run reuse in
/// the learner and the forwarder, which real bursts of one flow hit almost every frame.
/// </summary>
[Config(typeof(FlowBenchmarkConfig))]
public class SwitchPathBenchmark
{
    private const int Burst = 32;

    private readonly Packet[] _packets = new Packet[Burst];
    private readonly Next[] _nexts = new Next[Burst];
    private PacketPool _pool = null!;
    private VlanClassifier _classifier = null!;
    private MacLearner _learner = null!;
    private L2Forwarder _forwarder = null!;
    private VlanTagger _tagger = null!;
    private NaiveSwitch _naive = null!;

    [GlobalSetup]
    public void Setup()
    {
        IReadOnlyList<SwitchPortOptions> ports =
        [
            SwitchPortOptions.Access("host_a", 10),
            SwitchPortOptions.Access("host_b", 10),
            SwitchPortOptions.Access("host_c", 20),
            SwitchPortOptions.Trunk("uplink", [10, 20]),
        ];
        _classifier = new VlanClassifier(new VlanClassifierOptions { Ports = ports });
        _learner = new MacLearner(new MacLearnerOptions());
        _forwarder = new L2Forwarder(new L2ForwarderOptions { Ports = ports, FloodPoolFrames = 64 });
        _tagger = new VlanTagger();
        _naive = new NaiveSwitch();
        _pool = PacketPool.Create(256);
        _pool.AllocateBulk(_packets);
        for (int i = 0; i < Burst; i++)
        {
            int host = i;
            Packet packet = _packets[i];
            packet.TrySetLength(64);
            Span<byte> data = packet.Data;
            data.Clear();
            Mac((host + (Burst / 2)) % Burst).CopyTo(data);
            Mac(host).CopyTo(data[6..]);
            BinaryPrimitives.WriteUInt16BigEndian(data[12..], 0x88B5);
            packet.Meta.InputPort = (ushort)(i < Burst / 2 ? 0 : 1);
        }
        // Learn every host (classify + learn only: a flood would need a graph to emit into),
        // so the measured bursts are known unicast; then undo the classifier's metadata.
        _classifier.Process(_packets, _nexts);
        _learner.Process(_packets, _nexts);
        foreach (Packet packet in _packets)
        {
            packet.Meta.Flags &= ~PacketFlags.VlanStripped;
        }
        Naive();
        if (Flow() < 0)
        {
            throw new InvalidOperationException("the warmed-up burst did not switch as known unicast");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pool.FreeBulk(_packets);
        _pool.Dispose();
        _forwarder.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Burst)]
    public int Naive() => _naive.Switch(_packets);

    [Benchmark(OperationsPerInvoke = Burst)]
    public int Flow()
    {
        Span<Next> nexts = _nexts;
        _classifier.Process(_packets, nexts);
        _learner.Process(_packets, nexts);
        _forwarder.Process(_packets, nexts);
        _tagger.Process(_packets, nexts);
        return nexts[Burst - 1].Port;
    }

    /// <summary>The classifier alone (flags reset after, as the forwarder would for access egress).</summary>
    [Benchmark(OperationsPerInvoke = Burst)]
    public int ClassifyOnly()
    {
        _classifier.Process(_packets, _nexts);
        foreach (Packet packet in _packets)
        {
            packet.Meta.Flags &= ~PacketFlags.VlanStripped;
        }
        return _nexts[Burst - 1].Port;
    }

    /// <summary>The learner alone: one refresh and one hit per frame.</summary>
    [Benchmark(OperationsPerInvoke = Burst)]
    public int LearnOnly()
    {
        foreach (Packet packet in _packets)
        {
            packet.Meta.Flags |= PacketFlags.VlanStripped;
        }
        _learner.Process(_packets, _nexts);
        return _nexts[Burst - 1].Port;
    }

    /// <summary>The forwarder alone (flags set before, as the classifier would).</summary>
    [Benchmark(OperationsPerInvoke = Burst)]
    public int ForwardOnly()
    {
        foreach (Packet packet in _packets)
        {
            packet.Meta.Flags |= PacketFlags.VlanStripped;
        }
        _forwarder.Process(_packets, _nexts);
        return _nexts[Burst - 1].Port;
    }

    private static MacAddress Mac(int n) => new(0x02, 0, 0, 0, 0, (byte)n);

    /// <summary>The obvious switch: Dictionary learning and lookup, tag parsed per frame, no batching tricks.</summary>
    private sealed class NaiveSwitch
    {
        private readonly Dictionary<(int Vlan, MacAddress Mac), int> _table = [];
        private readonly int[] _accessVlan = [10, 10, 20, 0];

        public int Switch(Packet[] packets)
        {
            int last = -1;
            foreach (Packet packet in packets)
            {
                Span<byte> data = packet.Data;
                int port = packet.Meta.InputPort;
                int vlan = BinaryPrimitives.ReadUInt16BigEndian(data[12..]) == EtherType.Vlan
                    ? BinaryPrimitives.ReadUInt16BigEndian(data[14..]) & 0xFFF
                    : _accessVlan[port];
                var src = new MacAddress(data[6..]);
                _table[(vlan, src)] = port;
                var dst = new MacAddress(data);
                last = !dst.IsMulticast && _table.TryGetValue((vlan, dst), out int to) && _accessVlan[to] == vlan ? to : -1;
            }
            return last;
        }
    }
}
