using Flow.Stages.Ipv4;
using Flow.Stages.Routing;

namespace Flow.Net.Internal;

/// <summary>
/// Which interface a packet to a destination leaves by, and the address it is sent from when the
/// sender has none (RFC 1122 3.3.4.3: the primary address of that interface; a destination that
/// is one of the host's own addresses is its own source). Worker only: one FIB reader.
/// </summary>
internal sealed class RouteSource(Ipv4RouteTable routes, RouterInterfaceTable interfaces) : IDisposable
{
    private readonly FibReader _reader = routes.OpenReader();

    /// <summary>False when no route leads to <paramref name="destination"/> (none, blackhole, reject) or its interface has no address.</summary>
    public bool TrySelect(uint destination, out uint source, out ushort interfaceId)
    {
        source = 0;
        interfaceId = 0;
        _reader.Enter();
        try
        {
            NextHop hop = routes.NextHops[routes.Fib.Lookup(destination)];
            if (hop.Kind == NextHopKind.Multipath)
            {
                hop = routes.NextHops[hop.Member(destination)];
            }
            if (hop.Kind is not (NextHopKind.Via or NextHopKind.Connected or NextHopKind.Local))
            {
                return false;
            }
            int index = interfaces.IndexOfId(hop.Port);
            if (index < 0)
            {
                return false;
            }
            source = hop.Kind == NextHopKind.Local ? destination : interfaces.PrimaryAddressOf(index);
            interfaceId = interfaces.Interfaces[index].Id ?? (ushort)index;
            return source != 0;
        }
        finally
        {
            _reader.Exit();
        }
    }

    public void Dispose() => _reader.Dispose();
}
