using Flow.Stages.Routing;

namespace Flow.Stages.Tests.Routing;

/// <summary>The oracle: a list of prefixes, longest match by scanning all of them.</summary>
internal sealed class ReferenceLpm
{
    private readonly Dictionary<Ipv4Prefix, uint> _routes = [];

    public int Count => _routes.Count;

    public IEnumerable<Ipv4Prefix> Prefixes => _routes.Keys;

    public void Set(Ipv4Prefix prefix, uint nextHop) => _routes[prefix] = nextHop;

    public bool Remove(Ipv4Prefix prefix) => _routes.Remove(prefix);

    public bool Contains(Ipv4Prefix prefix) => _routes.ContainsKey(prefix);

    public uint Lookup(uint address)
    {
        int best = -1;
        uint hop = Ipv4Fib.NoRoute;
        foreach ((Ipv4Prefix prefix, uint nextHop) in _routes)
        {
            if (prefix.Length > best && prefix.Contains(address))
            {
                best = prefix.Length;
                hop = nextHop;
            }
        }
        return hop;
    }
}
