using System.Text;

namespace Flow.Internal;

/// <summary>Matching what users write against what exists: config keys in any spelling, "did you mean".</summary>
internal static partial class Naming
{
    /// <summary>The form keys are compared in: case and underscores ignored (<c>frame_size</c> = <c>FrameSize</c> = <c>frameSize</c>).</summary>
    public static string Fold(string key)
    {
        var builder = new StringBuilder(key.Length);
        foreach (char c in key)
        {
            if (c != '_' && c != '-')
            {
                builder.Append(char.ToLowerInvariant(c));
            }
        }
        return builder.ToString();
    }

    /// <summary>The closest of <paramref name="candidates"/> within edit distance 2, for "did you mean".</summary>
    public static string? Nearest(string word, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = 3;
        foreach (string candidate in candidates)
        {
            int distance = EditDistance(word, candidate);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    public static int EditDistance(string a, string b)
    {
        int[] previous = new int[b.Length + 1];
        int[] current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
