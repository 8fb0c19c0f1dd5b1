namespace Flow.Benchmarks.Infrastructure;

/// <summary>Figures of one variant over interleaved rounds: median with min and max.</summary>
public sealed class Samples
{
    private readonly List<double> _values = [];

    public void Add(double value) => _values.Add(value);

    public int Count => _values.Count;

    public double Median
    {
        get
        {
            if (_values.Count == 0)
            {
                return double.NaN;
            }
            var sorted = _values.Order().ToList();
            int mid = sorted.Count / 2;
            return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        }
    }

    public double Min => _values.Count == 0 ? double.NaN : _values.Min();

    public double Max => _values.Count == 0 ? double.NaN : _values.Max();
}
