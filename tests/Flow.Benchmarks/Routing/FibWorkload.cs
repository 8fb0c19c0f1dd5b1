using System.Globalization;
using System.Text;
using Flow.Stages.Routing;

namespace Flow.Benchmarks.Routing;

/// <summary>
/// The FIB benchmark's inputs, made once from a seed and written in <c>dpdk-test-fib</c>'s file
/// formats (<c>-f</c>: <c>a.b.c.d/len nh</c> per line; <c>-t</c>: <c>a.b.c.d</c> per line), so
/// DPDK and Flow load the same routes and look up the same addresses in the same order.
/// </summary>
/// <remarks>
/// Route lengths, in percent of the routes: the shape of a BGP full view (about 60 % /24, most
/// of the rest /16–/23, a sprinkle of /8–/15) plus 3.5 % longer than /24, as a provider's
/// internal table adds (customer /29–/30s, /32 neighbour and loopback routes) — enough to use
/// tens of thousands of tbl8 groups:
/// <code>
///  /8–/15 0.5   /16 1.5   /17 1   /18 2   /19 3.5   /20 5   /21 5   /22 9   /23 9   /24 60
///  /25 0.3   /26 0.3   /27 0.4   /28 0.5   /29 0.5   /30 0.5   /31 0.2   /32 0.8
/// </code>
/// Prefixes are distinct, uniform over 1.0.0.0–223.255.255.255, routes in random order,
/// next hops 1–65 535. Lookup i takes route i mod n and random host bits within it (what
/// <c>dpdk-test-fib</c>'s own generator does), so every route is hit and the tbl24 reads are
/// random over the table.
/// </remarks>
internal sealed class FibWorkload
{
    private static readonly (int Length, double Percent)[] s_shape =
    [
        (8, 0.02), (9, 0.02), (10, 0.03), (11, 0.04), (12, 0.06), (13, 0.08), (14, 0.1), (15, 0.15),
        (16, 1.5), (17, 1), (18, 2), (19, 3.5), (20, 5), (21, 5), (22, 9), (23, 9), (24, 60),
        (25, 0.3), (26, 0.3), (27, 0.4), (28, 0.5), (29, 0.5), (30, 0.5), (31, 0.2), (32, 0.8),
    ];

    private FibWorkload((Ipv4Prefix Prefix, uint NextHop)[] routes, uint[] lookups)
    {
        Routes = routes;
        Lookups = lookups;
    }

    public (Ipv4Prefix Prefix, uint NextHop)[] Routes { get; }

    public uint[] Lookups { get; }

    public static string Shape => string.Join(" ", s_shape.Select(s => $"/{s.Length}:{s.Percent.ToString(CultureInfo.InvariantCulture)}%"));

    public static FibWorkload Create(int routeCount, int lookupCount, int seed)
    {
        var random = new Random(seed);
        var routes = new List<(Ipv4Prefix, uint)>(routeCount);
        double total = s_shape.Sum(s => s.Percent);
        int made = 0;
        for (int k = 0; k < s_shape.Length; k++)
        {
            (int length, double percent) = s_shape[k];
            int want = k == s_shape.Length - 1 ? routeCount - made : (int)Math.Round(routeCount * percent / total);
            // 1.0.0.0–223.255.255.255 holds 223 · 2^(length − 8) prefixes of this length.
            long available = 223L << (length - 8);
            want = (int)Math.Min(want, available / 2);
            var seen = new HashSet<uint>(want);
            while (seen.Count < want)
            {
                uint address = (uint)random.NextInt64(0x0100_0000L, 0xE000_0000L) & Ipv4Prefix.MaskOf(length);
                if (seen.Add(address))
                {
                    routes.Add((new Ipv4Prefix(address, length), (uint)random.Next(1, 65_536)));
                }
            }
            made += want;
        }
        (Ipv4Prefix, uint)[] shuffled = [.. routes];
        random.Shuffle(shuffled);
        var lookups = new uint[lookupCount];
        for (int i = 0; i < lookupCount; i++)
        {
            Ipv4Prefix prefix = shuffled[i % shuffled.Length].Item1;
            lookups[i] = prefix.Address | ((uint)random.NextInt64(0, (long)prefix.Size) & ~prefix.Mask);
        }
        return new FibWorkload(shuffled, lookups);
    }

    public int CountLongerThan24() => Routes.Count(r => r.Prefix.Length > 24);

    /// <summary>Writes the routes and addresses in dpdk-test-fib's formats.</summary>
    public void WriteFiles(string routesPath, string lookupsPath)
    {
        using (var writer = new StreamWriter(routesPath, false, Encoding.ASCII, 1 << 20))
        {
            foreach ((Ipv4Prefix prefix, uint hop) in Routes)
            {
                writer.Write(prefix.ToString());
                writer.Write(' ');
                writer.Write(hop.ToString(CultureInfo.InvariantCulture));
                writer.Write('\n');
            }
        }
        using (var writer = new StreamWriter(lookupsPath, false, Encoding.ASCII, 1 << 20))
        {
            foreach (uint address in Lookups)
            {
                writer.Write($"{address >> 24}.{(address >> 16) & 0xFF}.{(address >> 8) & 0xFF}.{address & 0xFF}\n");
            }
        }
    }
}
