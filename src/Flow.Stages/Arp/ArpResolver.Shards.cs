using System.Runtime.CompilerServices;
using Flow.Protocols.Ethernet;
using Flow.Stages.Arp.Internal;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing;

namespace Flow.Stages.Arp;

// The copies of a sharded arp_resolve (IShardedStage): shard 0's copy owns the neighbour table
// with arp, on one worker — it creates neighbours, holds packets, probes, fails. Every other
// copy only reads the table (NeighbourTable.TryReadConcurrent) and sends a packet whose
// neighbour is reachable (or being re-probed) straight out of its own shard's port; a packet
// for any other neighbour — unknown, incomplete, stale (a probe must start), failed, or one the
// owner kept changing — goes by the copy's to_writer port to shard 0's copy, which handles it
// as its own. So a flow's first packets cross to shard 0 while ARP resolves, and the rest stay
// on their shard.
public sealed partial class ArpResolver : IShardedStage
{
    private readonly ArpResolverOptions _options;
    private readonly InterfaceAddressBook? _addressBook;
    private readonly ArpResolver? _writer;    // null: this copy owns the table (with arp)
    private readonly int _toWriter;           // a reader copy's to_writer port; -1 on the owner
    private long _handedOff;

    /// <summary>Whether this copy reads a table another copy writes (made by <see cref="CopyForShard"/>).</summary>
    public bool IsReader => _writer is not null;

    /// <summary>A copy for shard <paramref name="shard"/> that reads this copy's neighbour table and hands it what only the owner can do.</summary>
    public Stage CopyForShard(int shard, int count)
    {
        if (_writer is not null)
        {
            throw new InvalidOperationException("a copy of a sharded arp_resolve makes no copies; ask the copy that owns the table (shard 0's)");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(shard, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(shard, count);
        return new ArpResolver(_options, _table, _routes, _clock, _addressBook, writer: this);
    }

    private void ProcessAsReader(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        NeighbourTable table = _table;
        RouterInterfaceTable interfaces = _interfaces;
        long sent = 0;
        long handedOff = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            Next next = ResolveAsReader(packets[i], table, interfaces);
            sent += next.Port >= 0 && next.Port < _unreachable ? 1 : 0;
            handedOff += next.Port == _toWriter ? 1 : 0;
            nexts[i] = next;
        }
        _sent += sent;
        _handedOff += handedOff;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Next ResolveAsReader(Packet packet, NeighbourTable table, RouterInterfaceTable interfaces)
    {
        if (!TryNeighbourOf(packet, interfaces, out uint id, out NextHopKind kind, out uint target, out ushort port, out _, out Next refused))
        {
            return refused;
        }
        if (table.TryReadConcurrent(target, port, _slotByNextHop[id] - 1, out int slot, out NeighbourState state, out MacAddress mac, out short interfaceIndex)
            && state is NeighbourState.Reachable or NeighbourState.Probe && (uint)interfaceIndex < (uint)interfaces.Count)
        {
            if (kind == NextHopKind.Via)
            {
                _slotByNextHop[id] = slot + 1;
            }
            return EthernetRewrite.TryWrite(packet, mac, interfaces.MacOf(interfaceIndex)) ? Next.ToPort(interfaceIndex) : Drop(Reason.NoHeadroom);
        }
        return Next.ToPort(_toWriter);
    }
}
