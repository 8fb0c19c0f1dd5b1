namespace Flow.TestKit;

/// <summary>How to run one <see cref="Testpmd"/>: its ports, its arguments, where it runs.</summary>
public sealed record TestpmdOptions
{
    /// <summary>The ports, each a whole <c>--vdev</c> value (<c>net_memif0,role=server,socket=…</c>, <c>net_af_xdp0,iface=…</c>).</summary>
    public required IReadOnlyList<string> Devices { get; init; }

    /// <summary>testpmd's own arguments (after <c>--</c>): forwarding mode, queues, mbufs.</summary>
    public string Arguments { get; init; } = "";

    /// <summary>More EAL arguments (before <c>--</c>): log levels, <c>--single-file-segments</c>.</summary>
    public string EalArguments { get; init; } = "";

    /// <summary>The CPU both lcores (main and forwarding) are pinned to; the last one by default, away from Flow's workers.</summary>
    public int Cpu { get; init; } = Environment.ProcessorCount - 1;

    /// <summary>A network namespace to run in (<c>ip netns exec</c>), or null.</summary>
    public string? Namespace { get; init; }

    /// <summary>A forwarding (not interactive) testpmd gets SIGINT after this long whatever happens: a test that dies leaves nothing running.</summary>
    public int MaxSeconds { get; init; } = 60;
}
