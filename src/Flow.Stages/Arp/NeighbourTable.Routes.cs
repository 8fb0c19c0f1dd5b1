using Flow.Protocols;
using Flow.Protocols.Ipv4;
using Flow.Stages.Routing;

namespace Flow.Stages.Arp;

// The /32 routes of resolved on-link neighbours: queued by the worker, applied by a thread-pool
// work item, because the route table serialises writers with a lock the data path must not take.
public sealed partial class NeighbourTable : IThreadPoolWorkItem
{
    private readonly Ipv4RouteTable? _routes;
    // Applier-owned: the /32s this table added, so it never deletes a route an operator made.
    private readonly HashSet<(uint Address, ushort Port)> _added = [];
    private RouteChange[] _routeChanges = [];
    private long _routeHead;                // next change the applier reads; written by the applier
    private long _routeTail;                // next change the worker writes; written by the worker
    private int _applierScheduled;
    private bool _stopped;

    // Applier-owned counters.
    private long _routesAdded;
    private long _routesRemoved;
    private long _routesSkipped;
    // Worker-owned.
    private long _routeQueueOverflows;

    /// <summary>
    /// Whether queued route changes are applied by a thread-pool work item as they come (the
    /// default) or only when someone calls <see cref="ApplyRouteChanges"/> (tests that want to
    /// look at the route table at a known moment).
    /// </summary>
    public bool ApplyRoutesInBackground { get; init; } = true;

    /// <summary>/32 routes this table added and removed, and adds it skipped because the prefix already had a route of the operator's.</summary>
    public (long Added, long Removed, long Skipped, long Overflows) RouteCounters =>
        (Volatile.Read(ref _routesAdded), Volatile.Read(ref _routesRemoved), Volatile.Read(ref _routesSkipped), _routeQueueOverflows);

    private void QueueRouteChange(uint address, ushort port, bool add)
    {
        if (_routes is null)
        {
            return;
        }
        long tail = _routeTail;
        // Acquire: the applier's reads of the slots before this head are done.
        if (tail - Volatile.Read(ref _routeHead) >= _routeChanges.Length)
        {
            // The applier is far behind (a route table busy with a bulk load): the change is lost
            // and counted; a neighbour's next state change queues its route again.
            _routeQueueOverflows++;
            return;
        }
        _routeChanges[tail & (_routeChanges.Length - 1)] = new RouteChange(address, port, add);
        // Release: the slot is written before the applier can see the new tail.
        Volatile.Write(ref _routeTail, tail + 1);
        if (ApplyRoutesInBackground && Interlocked.Exchange(ref _applierScheduled, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Applies the queued /32 route changes to the route table; any thread but the worker, one at a time.</summary>
    public void ApplyRouteChanges()
    {
        if (_routes is null)
        {
            return;
        }
        lock (_added)
        {
            long head = _routeHead;
            long tail = Volatile.Read(ref _routeTail);
            while (head < tail && !_stopped)
            {
                RouteChange change = _routeChanges[head & (_routeChanges.Length - 1)];
                Apply(change);
                head++;
                Volatile.Write(ref _routeHead, head);
            }
        }
    }

    void IThreadPoolWorkItem.Execute()
    {
        ApplyRouteChanges();
        Volatile.Write(ref _applierScheduled, 0);
        // A change queued after the drain but before the flag was cleared found it set: look again.
        if (Volatile.Read(ref _routeHead) != Volatile.Read(ref _routeTail) && Interlocked.Exchange(ref _applierScheduled, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    private void Apply(RouteChange change)
    {
        Ipv4RouteTable routes = _routes!;
        var prefix = new Ipv4Prefix(change.Address, 32);
        Ipv4Route host = Ipv4Route.Via(new Ipv4Address(new NetU32(change.Address)), change.Port);
        try
        {
            if (change.Add)
            {
                if (!_added.Contains((change.Address, change.Port)) && routes.TryGet(prefix, out _))
                {
                    Volatile.Write(ref _routesSkipped, _routesSkipped + 1);
                    return;
                }
                if (routes.Add(prefix, host) is FibStatus.Added or FibStatus.Replaced or FibStatus.Unchanged)
                {
                    _added.Add((change.Address, change.Port));
                    Volatile.Write(ref _routesAdded, _routesAdded + 1);
                }
            }
            else if (_added.Remove((change.Address, change.Port)))
            {
                if (routes.TryGet(prefix, out Ipv4Route existing) && existing.Equals(host))
                {
                    routes.Delete(prefix);
                    Volatile.Write(ref _routesRemoved, _routesRemoved + 1);
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // The route table went first at shutdown: nothing left to keep in step.
            _stopped = true;
        }
    }

    private void StopRouteChanges()
    {
        lock (_added)
        {
            _stopped = true;
        }
    }

    private readonly record struct RouteChange(uint Address, ushort Port, bool Add);
}
