namespace Flow.Benchmarks.Infrastructure;

/// <summary>
/// The round loop of the forwarding scenarios (<c>switch</c>, <c>router</c>): every round measures
/// the cross-core latency first, then runs each variant once, in order, so a Flow variant and its
/// reference run seconds apart; a variant that fails (<see cref="InvalidOperationException"/>, or a
/// rate that is not positive) is printed and counted and the round goes on. Per variant the samples over rounds; per
/// (Flow, reference) pair the ratio within each round where both ran. This VM's cross-core speed
/// swings several-fold within minutes, so the per-round ratio is the figure least disturbed by it.
/// </summary>
internal sealed class InterleavedRounds
{
    private InterleavedRounds(IEnumerable<string> variants, IEnumerable<(string Flow, string Reference)> pairs)
    {
        Samples = variants.ToDictionary(v => v, _ => new Samples());
        PairedRatios = pairs.ToDictionary(p => p, _ => new Samples());
    }

    /// <summary>Each variant's rate (packets per second) over the rounds it completed.</summary>
    public Dictionary<string, Samples> Samples { get; }

    /// <summary>Flow's rate over its reference's, one sample per round in which both completed.</summary>
    public Dictionary<(string Flow, string Reference), Samples> PairedRatios { get; }

    /// <summary>The cross-core latency measured at the start of each round, in nanoseconds.</summary>
    public Samples Latency { get; } = new();

    /// <summary>How many variant runs failed.</summary>
    public int Failures { get; private set; }

    /// <param name="rounds">Rounds to run.</param>
    /// <param name="variants">Each variant's name and run, returning its rate.</param>
    /// <param name="pairs">(Flow, reference) pairs whose per-round ratio is kept.</param>
    /// <param name="unit">How the per-round lines print a rate: its name and what one of it is worth (packets per second by default).</param>
    public static async Task<InterleavedRounds> RunAsync(int rounds, IReadOnlyList<(string Name, Func<Task<double>> Run)> variants,
        IReadOnlyList<(string Flow, string Reference)> pairs, (string Name, double Scale)? unit = null)
    {
        (string unitName, double unitScale) = unit ?? ("Mpps", 1e6);
        var result = new InterleavedRounds(variants.Select(v => v.Name), pairs);
        int width = variants.Count == 0 ? 0 : variants.Max(v => v.Name.Length) + 1;
        for (int round = 1; round <= rounds; round++)
        {
            double ns = CrossCoreLatency.MeasureNanoseconds();
            result.Latency.Add(ns);
            Console.WriteLine($"  round {round} cross-core latency {ns:F0} ns");
            var thisRound = new Dictionary<string, double>();
            foreach ((string name, Func<Task<double>> run) in variants)
            {
                try
                {
                    double pps = await run();
                    if (!(pps > 0 && double.IsFinite(pps)))
                    {
                        // A run that moved nothing is a failed run, not a sample: as a reference
                        // it would make the round's ratio infinite, as Flow zero.
                        throw new InvalidOperationException($"it forwarded nothing ({pps} packets per second)");
                    }
                    result.Samples[name].Add(pps);
                    thisRound[name] = pps;
                    Console.WriteLine($"  round {round} {name.PadRight(width)} {pps / unitScale,8:F3} {unitName}");
                }
                catch (InvalidOperationException exception)
                {
                    result.Failures++;
                    Console.WriteLine($"  round {round} {name.PadRight(width)} FAILED: {exception.Message}");
                }
            }
            foreach ((string flow, string reference) in pairs)
            {
                if (thisRound.TryGetValue(reference, out double referencePps) && thisRound.TryGetValue(flow, out double flowPps))
                {
                    result.PairedRatios[(flow, reference)].Add(flowPps / referencePps);
                    Console.WriteLine($"  round {round} {flow}/{reference} {flowPps / referencePps:F2}");
                }
            }
        }
        return result;
    }
}
