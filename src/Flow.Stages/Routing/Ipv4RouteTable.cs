using Flow.Stages.Routing.Internal;

namespace Flow.Stages.Routing;

/// <summary>
/// The router's IPv4 routes: what control verbs (<c>route add|del|show</c>) call and what
/// <c>ipv4_lookup</c> stages read. Routes change while traffic flows: each change is applied to
/// the shared <see cref="Ipv4Fib"/> and <see cref="NextHopTable"/> by whichever thread calls,
/// one at a time (a writer lock the data path never takes); lookups see each address move
/// from its old answer to its new one, never to "no route" in between.
/// </summary>
/// <remarks>
/// A route holds one next-hop id: an interned one for via/connected/local, the fixed
/// blackhole or reject id, or its own ECMP group. Replacing a multipath route by another
/// multipath route keeps its group and moves only the slots of members that changed, so the
/// other flows keep their paths.
/// </remarks>
public sealed class Ipv4RouteTable : IDisposable
{
    private readonly object _writer = new();
    private readonly ReaderEpochs _epochs;
    private readonly Dictionary<Ipv4Prefix, (Ipv4Route Route, uint NextHop)> _routes = [];
    private readonly int _slotBits;
    private bool _disposed;

    public Ipv4RouteTable(Ipv4RouteTableOptions? options = null)
    {
        options ??= new Ipv4RouteTableOptions();
        if (options.EcmpSlotBits is < 1 or > 12)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.EcmpSlotBits, "EcmpSlotBits is 1 to 12 (2 to 4096 slots)");
        }
        _slotBits = options.EcmpSlotBits;
        _epochs = new ReaderEpochs(options.Fib.MaxReaders);
        Fib = new Ipv4Fib(options.Fib, _epochs);
        NextHops = new NextHopTable(options.MaxNextHops, _epochs);
    }

    public Ipv4Fib Fib { get; }

    public NextHopTable NextHops { get; }

    /// <summary>Routes in the table.</summary>
    public int Count => Fib.Count;

    /// <summary>A reader for one data-path thread (wrap each batch in Enter/Exit); dispose it when the thread stops reading.</summary>
    public FibReader OpenReader() => new(_epochs);

    /// <summary>Adds <paramref name="prefix"/> → <paramref name="route"/>, or replaces the route of a prefix already there.</summary>
    public FibStatus Add(Ipv4Prefix prefix, Ipv4Route route)
    {
        ArgumentNullException.ThrowIfNull(route);
        if (route.Members.Count > 1 << _slotBits)
        {
            throw new ArgumentException($"{route.Members.Count} ECMP members do not fit {1 << _slotBits} redirection slots", nameof(route));
        }
        lock (_writer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            NextHops.Reclaim();
            bool exists = _routes.TryGetValue(prefix, out (Ipv4Route Route, uint NextHop) old);
            if (exists && old.Route.Equals(route))
            {
                return FibStatus.Unchanged;
            }
            if (exists && old.Route.Kind == NextHopKind.Multipath && route.Kind == NextHopKind.Multipath
                && route.Members.Count <= 1 << NextHops.GroupSlotBits(old.NextHop))
            {
                if (!NextHops.SetGroupMembers(old.NextHop, route.Members))
                {
                    return FibStatus.NextHopsExhausted;
                }
                _routes[prefix] = (route, old.NextHop);
                return FibStatus.Replaced;
            }
            uint id = Acquire(route);
            if (id == 0)
            {
                return FibStatus.NextHopsExhausted;
            }
            FibStatus status = Fib.Add(prefix, id);
            if (status is not (FibStatus.Added or FibStatus.Replaced))
            {
                NextHops.Release(id);
                return status;
            }
            // The FIB points at the new id now; the old one is retired after (readers that still
            // hold it finish their batch before it is reused).
            if (exists)
            {
                NextHops.Release(old.NextHop);
            }
            _routes[prefix] = (route, id);
            return status;
        }
    }

    /// <summary>Removes the route of <paramref name="prefix"/>; the next shorter covering route takes its range again.</summary>
    public FibStatus Delete(Ipv4Prefix prefix)
    {
        lock (_writer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            NextHops.Reclaim();
            if (!_routes.Remove(prefix, out (Ipv4Route Route, uint NextHop) old))
            {
                return FibStatus.NotFound;
            }
            Fib.Delete(prefix);
            NextHops.Release(old.NextHop);
            return FibStatus.Deleted;
        }
    }

    public bool TryGet(Ipv4Prefix prefix, out Ipv4Route route)
    {
        lock (_writer)
        {
            bool found = _routes.TryGetValue(prefix, out (Ipv4Route Route, uint NextHop) entry);
            route = entry.Route!;
            return found;
        }
    }

    /// <summary>Every route, shortest prefix first then by address (a copy, for <c>route show</c>).</summary>
    public List<(Ipv4Prefix Prefix, Ipv4Route Route)> GetRoutes()
    {
        lock (_writer)
        {
            return [.. _routes.Select(r => (r.Key, r.Value.Route)).OrderBy(r => r.Key.Length).ThenBy(r => r.Key.Address)];
        }
    }

    /// <summary>Returns retired tbl8 groups and next hops whose readers have passed; a control loop may call it when idle.</summary>
    public void Reclaim()
    {
        lock (_writer)
        {
            Fib.Reclaim();
            NextHops.Reclaim();
        }
    }

    /// <summary>
    /// A next hop no route needs to point at, for a stage that sends a packet somewhere routing did
    /// not (a NAT sending a reply back by the WAN its connection came in by): the id of "via
    /// <paramref name="gateway"/> (host order) on <paramref name="port"/>", shared with any route
    /// via the same and kept until <see cref="ReleaseNextHop"/>. 0 when ids run out.
    /// </summary>
    public uint AcquireNextHop(ushort port, uint gateway)
    {
        lock (_writer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            NextHops.Reclaim();
            return NextHops.Acquire(NextHopKind.Via, port, gateway);
        }
    }

    /// <summary>Gives back an id from <see cref="AcquireNextHop"/>.</summary>
    public void ReleaseNextHop(uint id)
    {
        lock (_writer)
        {
            if (!_disposed)
            {
                NextHops.Release(id);
            }
        }
    }

    private uint Acquire(Ipv4Route route) => route.Kind == NextHopKind.Multipath
        ? NextHops.AddGroup(route.Members, _slotBits)
        : NextHops.Acquire(route.Kind, route.Port, route.Gateway.Value.Host);

    public void Dispose()
    {
        lock (_writer)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            Fib.Dispose();
            NextHops.Dispose();
            _epochs.Dispose();
        }
    }
}
