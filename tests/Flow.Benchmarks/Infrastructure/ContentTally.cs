namespace Flow.Benchmarks.Infrastructure;

/// <summary>A scenario's content-check totals over its runs: frames compared, corrupt, missing, duplicated.</summary>
internal sealed class ContentTally
{
    public long Checked { get; private set; }

    public long Corrupt { get; private set; }

    public long Missing { get; private set; }

    public long Duplicates { get; private set; }

    public void Add(FrameChecker? check, long missing)
    {
        Checked += check?.Checked ?? 0;
        Corrupt += check?.Corrupt ?? 0;
        Duplicates += check?.Duplicates ?? 0;
        Missing += missing;
    }

    public void Add(long @checked, long corrupt, long missing)
    {
        Checked += @checked;
        Corrupt += corrupt;
        Missing += missing;
    }
}
