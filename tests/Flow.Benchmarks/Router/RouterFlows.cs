using System.Collections.Frozen;
using Flow.Benchmarks.Routing;
using Flow.Protocols.Ipv4;
using Flow.Stages.Routing;

namespace Flow.Benchmarks.Router;

/// <summary>
/// The router scenario's realistic traffic (issue 15): a million routes of a BGP full view's
/// shape (<see cref="FibWorkload"/>), each via one of the two gateways (alternately), and
/// 65 536 flows, 32 768 a side, whose destinations are random hosts of random routes that the
/// longest match sends out of the other side. Each side's file holds one frame per flow after
/// the gateway's ARP request, so consecutive frames hit unrelated parts of the FIB.
/// </summary>
internal sealed class RouterFlows
{
    public const int Routes = 1_000_000;
    public const int FlowsPerSide = 32_768;

    private RouterFlows((Ipv4Prefix Prefix, int Side)[] routes, FrozenDictionary<uint, int> sideOf)
    {
        RouteList = routes;
        SideOf = sideOf;
    }

    /// <summary>Every route and the side (port id) its gateway is on.</summary>
    public (Ipv4Prefix Prefix, int Side)[] RouteList { get; }

    /// <summary>Each flow's destination (host order) → the side it must leave by.</summary>
    public FrozenDictionary<uint, int> SideOf { get; }

    public static RouterFlows Create(int seed = 15)
    {
        FibWorkload workload = FibWorkload.Create(Routes, lookupCount: 0, seed);
        (Ipv4Prefix Prefix, int Side)[] routes = workload.Routes.Select((r, i) => (r.Prefix, i % 2)).ToArray();
        // The longest match, computed here the slow way: per length, the prefixes of that length.
        var byLength = new Dictionary<uint, int>[33];
        for (int length = 0; length <= 32; length++)
        {
            byLength[length] = [];
        }
        foreach ((Ipv4Prefix prefix, int side) in routes)
        {
            byLength[prefix.Length][prefix.Address] = side;
        }
        var random = new Random(seed);
        var sideOf = new Dictionary<uint, int>(2 * FlowsPerSide);
        int[] wanted = [FlowsPerSide, FlowsPerSide];
        while (wanted[0] + wanted[1] > 0)
        {
            Ipv4Prefix prefix = routes[random.Next(routes.Length)].Prefix;
            uint address = prefix.Address | ((uint)random.NextInt64(0, (long)prefix.Size) & ~prefix.Mask);
            // Not the router's own networks (10.0.0.0/8 holds lan and wan), the 198.18.0.0/15
            // sources, or what a router does not forward (127/8, 169.254/16: RFC 1812, RFC 3927).
            if (address >> 24 is 10 or 127 || address >> 16 == 0xA9FE || address >> 17 == (198u << 7 | 18u >> 1) || sideOf.ContainsKey(address))
            {
                continue;
            }
            int side = -1;
            for (int length = 32; length >= 0 && side < 0; length--)
            {
                if (byLength[length].TryGetValue(address & Ipv4Prefix.MaskOf(length), out int found))
                {
                    side = found;
                }
            }
            if (wanted[side] > 0)
            {
                wanted[side]--;
                sideOf[address] = side;
            }
        }
        return new RouterFlows(routes, sideOf.ToFrozenDictionary());
    }

    /// <summary>Writes both sides' files into <paramref name="directory"/>: side s sends the flows that leave by the other side.</summary>
    public (string Side0, string Side1) Write(string directory)
    {
        string a = Path.Combine(directory, "router-1m-side0.pcap");
        string b = Path.Combine(directory, "router-1m-side1.pcap");
        foreach ((string path, int side) in new[] { (a, 0), (b, 1) })
        {
            uint[] destinations = SideOf.Where(f => f.Value == 1 - side).Select(f => f.Key).Order().ToArray();
            new Random(side).Shuffle(destinations);
            RouterTraffic.WriteSide(path, side, destinations.Length + 1, k =>
            {
                uint d = destinations[k - 1];
                return [(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d];
            });
        }
        return (a, b);
    }

    /// <summary>Installs every route into <paramref name="table"/>, each via its side's gateway; returns the seconds it took.</summary>
    public double Install(Ipv4RouteTable table)
    {
        Ipv4Route[] via = [.. RouterTraffic.Gateways.Select((g, side) => Ipv4Route.Via(new Ipv4Address(RouterTraffic.Address(g)), (ushort)side))];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach ((Ipv4Prefix prefix, int side) in RouteList)
        {
            FibStatus status = table.Add(prefix, via[side]);
            if (status is not (FibStatus.Added or FibStatus.Replaced))
            {
                throw new InvalidOperationException($"route {prefix} via side {side}: {status}");
            }
        }
        return clock.Elapsed.TotalSeconds;
    }
}
