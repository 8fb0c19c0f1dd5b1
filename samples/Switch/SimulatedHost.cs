using System.Buffers.Binary;

namespace Flow.Samples.Switch;

/// <summary>
/// A host wired to one switch port, in memory: sends its flows round-robin, each frame
/// stamped after the Ethernet header (and tag) with (host id, flow index, sequence), so a
/// <see cref="HostSink"/> can prove every frame arrived exactly once and in order.
/// </summary>
/// <remarks>
/// <code>
/// | dst | src | [8100 TCI] | 88B5 | host id (4) | flow (4) | sequence (8) | zero padding |
/// </code>
/// Output <c>wire</c>: frames as the host puts them on its link. When its pool is empty (frames
/// still in flight) it sends fewer, never drops.
/// </remarks>
[Stage("simulated_host", "A host in memory sending stamped frames to other hosts.")]
public sealed class SimulatedHost : SourceStage<SimulatedHost.Output, NoDrop>, IDisposable
{
    public const ushort EtherType = 0x88B5; // IEEE local experimental
    public const int StampLength = 16;

    private readonly SimulatedHostOptions _options;
    private readonly PacketPool _pool;
    private readonly long[] _sent;
    private int _flow;
    private long _total;

    public SimulatedHost(SimulatedHostOptions options)
    {
        if (options.Flows.Count == 0)
        {
            throw new ArgumentException($"host {options.Id} has no flows", nameof(options));
        }
        if (options.FrameSize < 18 + StampLength)
        {
            throw new ArgumentException($"host {options.Id}: FrameSize {options.FrameSize} is below {18 + StampLength}", nameof(options));
        }
        _options = options;
        _pool = PacketPool.Create(options.PoolFrames, name: $"host-{options.Id}");
        _sent = new long[options.Flows.Count];
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "frames the host sends")]
        Wire,
    }

    public long Sent => Volatile.Read(ref _total);

    public override bool IsExhausted => Volatile.Read(ref _total) >= _options.FramesPerFlow * _options.Flows.Count;

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        long left = (_options.FramesPerFlow * _options.Flows.Count) - _total;
        int want = (int)Math.Min(packets.Length, left);
        if (want <= 0)
        {
            return 0;
        }
        int n = _pool.AllocateBulk(packets.Slice(0, want));
        for (int i = 0; i < n; i++)
        {
            HostFlow flow = _options.Flows[_flow];
            Packet packet = packets[i];
            packet.TrySetLength(_options.FrameSize);
            packet.Meta.InputPort = _options.InputPort;
            Span<byte> data = packet.Data;
            data.Clear();
            flow.Destination.CopyTo(data);
            _options.Mac.CopyTo(data[6..]);
            int offset = 12;
            if (flow.Vlan is ushort vlan)
            {
                BinaryPrimitives.WriteUInt16BigEndian(data[12..], Flow.Protocols.Ethernet.EtherType.Vlan);
                BinaryPrimitives.WriteUInt16BigEndian(data[14..], vlan);
                offset = 16;
            }
            BinaryPrimitives.WriteUInt16BigEndian(data[offset..], EtherType);
            BinaryPrimitives.WriteUInt32BigEndian(data[(offset + 2)..], _options.Id);
            BinaryPrimitives.WriteUInt32BigEndian(data[(offset + 6)..], (uint)_flow);
            BinaryPrimitives.WriteInt64BigEndian(data[(offset + 10)..], _sent[_flow]++);
            nexts[i] = To(Output.Wire);
            _flow = (_flow + 1) % _sent.Length;
        }
        Volatile.Write(ref _total, _total + n);
        return n;
    }

    public void Dispose() => _pool.Dispose();
}
