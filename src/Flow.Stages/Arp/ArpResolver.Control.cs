using Flow.Stages.Arp.Internal;
using Flow.Stages.Ipv4;

namespace Flow.Stages.Arp;

// Control messages: run by the owning worker between batches (FlowGraph.InvokeAsync).
public sealed partial class ArpResolver : IControlledStage
{
    /// <summary>The router's neighbour verbs, <c>neigh show</c> and <c>neigh flush</c>.</summary>
    IReadOnlyList<IControlCommand> IControlledStage.ControlCommands => NeighbourControlCommands.All;

    /// <summary>The interface table in use.</summary>
    public RouterInterfaceTable Interfaces => _interfaces;

    /// <summary>Replaces the interface table (addresses changed); the same interfaces by name and order, since each is an output port.</summary>
    public void SetInterfaces(RouterInterfaceTable interfaces)
    {
        ArgumentNullException.ThrowIfNull(interfaces);
        if (!interfaces.Interfaces.Select(i => i.Name).SequenceEqual(_interfaces.Interfaces.Select(i => i.Name), StringComparer.Ordinal))
        {
            throw new RouterConfigurationException(
                $"interfaces {string.Join(", ", interfaces.Interfaces.Select(i => i.Name))} differ from this arp_resolve stage's ports {string.Join(", ", _interfaces.Interfaces.Select(i => i.Name))}");
        }
        _interfaces = interfaces;
        _addresses = new InterfaceAddresses(interfaces);
    }

    /// <summary>Every neighbour, in address order.</summary>
    public IReadOnlyList<NeighbourEntry> GetNeighbours() => _table.Snapshot(_interfaces, _clock.NowNanoseconds);

    /// <summary>Forgets every neighbour (their /32 routes go, packets held for them are freed); returns how many there were.</summary>
    public int FlushNeighbours() => _writer is null ? _table.Flush()
        : throw new RouterConfigurationException("this arp_resolve is a shard's copy that reads a neighbour table another copy owns; send 'neigh flush' to that copy");

    /// <summary>The stage's and its table's counters.</summary>
    public ArpResolverCounters GetCounters()
    {
        (long added, long removed, long skipped, _) = _table.RouteCounters;
        return _writer is null
            ? new(_sent, _held, _released, _unreachableSent, _table.HoldOverflows, _table.FlushedHeld, added, removed, skipped)
            : new(_sent, 0, 0, 0, 0, 0, 0, 0, 0, _handedOff);
    }
}
