using System.Numerics;

namespace Flow;

/// <summary>
/// How full a source's polls were: counts of polls that returned 0, 1, 2–3, 4–7, 8–15, 16–31,
/// 32–63, 64–127 and 128–256 packets. A rate means little without it: 10 Mpps in full bursts
/// leaves headroom, 10 Mpps in bursts of one does not (grout port_rx).
/// </summary>
public sealed class BurstHistogram
{
    public const int Buckets = 10;

    private static readonly string[] s_labels = ["0", "1", "2-3", "4-7", "8-15", "16-31", "32-63", "64-127", "128-255", "256"];

    private readonly long[] _counts;

    public BurstHistogram(long[] counts)
    {
        _counts = counts;
    }

    public IReadOnlyList<long> Counts => _counts;

    public static IReadOnlyList<string> Labels => s_labels;

    /// <summary>Polls that returned at least one packet.</summary>
    public long NonEmptyPolls => _counts.Skip(1).Sum();

    /// <summary>Bucket index of a burst of <paramref name="size"/> packets (0 for an empty poll).</summary>
    public static int BucketOf(int size) => size <= 0 ? 0 : Math.Min(Buckets - 1, 1 + BitOperations.Log2((uint)size));

    public override string ToString() =>
        string.Join(" ", _counts.Select((c, i) => (c, i)).Where(x => x.c != 0).Select(x => $"{s_labels[x.i]}:{x.c}"));
}
