using System.Globalization;

namespace Flow.Net.Tests;

/// <summary>
/// What the medium of <see cref="ImpairedStackHost"/> (tests/tools/impair.py) does to each frame,
/// the same both ways: a fixed one-way <paramref name="DelayMs"/> plus a uniform 0..<paramref name="JitterMs"/>;
/// <paramref name="ReorderPercent"/> of the frames held <paramref name="HoldMs"/> longer, so the frames
/// behind them overtake them; <paramref name="LossPercent"/> dropped. The medium draws from a fixed
/// <paramref name="Seed"/>, so a failing run's decisions can be replayed.
/// </summary>
public sealed record Impairment(double DelayMs = 0, double JitterMs = 0, double ReorderPercent = 0, double HoldMs = 5, double LossPercent = 0, int Seed = 1)
{
    /// <summary>impair.py's options for this impairment.</summary>
    public IEnumerable<string> Arguments() =>
    [
        "--delay-ms", Text(DelayMs), "--jitter-ms", Text(JitterMs), "--reorder-percent", Text(ReorderPercent),
        "--hold-ms", Text(HoldMs), "--loss-percent", Text(LossPercent), "--seed", Text(Seed),
    ];

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);
}
