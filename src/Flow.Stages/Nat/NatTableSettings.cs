namespace Flow.Stages.Nat;

/// <summary>What a <see cref="NatTable"/> is made with: <see cref="NatOptions"/> resolved (addresses in host order).</summary>
public sealed record NatTableSettings
{
    /// <summary>External addresses, host order; an internal host is paired with one of them.</summary>
    public required IReadOnlyList<uint> Addresses { get; init; }

    public NatMapping Mapping { get; init; } = NatMapping.EndpointIndependent;

    public NatFiltering Filtering { get; init; } = NatFiltering.EndpointIndependent;

    public NatTimeoutOptions Timeouts { get; init; } = new();

    public int MaxSessions { get; init; } = 262_144;

    /// <summary>0: no limit per host.</summary>
    public int MaxSessionsPerHost { get; init; }

    internal uint[] TimeoutsMilliseconds() =>
    [
        Milliseconds(Timeouts.Udp), Milliseconds(Timeouts.Icmp), Milliseconds(Timeouts.TcpEstablished), Milliseconds(Timeouts.TcpTransitory),
    ];

    private static uint Milliseconds(TimeSpan span) => (uint)Math.Clamp(span.TotalMilliseconds, 1, int.MaxValue / 2);
}
