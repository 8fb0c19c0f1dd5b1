namespace Flow.Stages.Routing;

/// <summary>Sizes of an <see cref="Ipv4Fib"/>.</summary>
public sealed record Ipv4FibOptions
{
    /// <summary>
    /// Second-level groups (256 entries, 1 KiB each) for prefixes longer than /24: one per /24
    /// that holds any. 65 536 groups (64 MiB) fit a million routes of which a few percent are
    /// longer than /24 in distinct /24s; a BGP full view needs far fewer (&lt; 0.1 % are longer).
    /// </summary>
    public int Tbl8Groups { get; init; } = 65_536;

    /// <summary>Most prefixes the table takes (the RIB's size); beyond it an add answers <see cref="FibStatus.TableFull"/>.</summary>
    public int MaxRoutes { get; init; } = 2 * 1024 * 1024;

    /// <summary>Most concurrent readers (<see cref="FibReader"/>): one per worker running a lookup stage, plus tools.</summary>
    public int MaxReaders { get; init; } = 64;
}
