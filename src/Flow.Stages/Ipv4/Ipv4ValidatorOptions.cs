namespace Flow.Stages.Ipv4;

/// <summary>Options of <see cref="Ipv4Validator"/>.</summary>
public sealed record Ipv4ValidatorOptions
{
    /// <summary>The router's interfaces; the same list every router stage gets.</summary>
    public IReadOnlyList<RouterInterfaceOptions> Interfaces { get; init; } = [];

    /// <summary>
    /// Accept packets carrying a loose or strict source-route option (they are then forwarded by
    /// their destination, the option untouched). False, the default: dropped as
    /// <c>source_route</c>, as RFC 7126 4.3 and 4.4 advise and Linux does
    /// (<c>accept_source_route=0</c>).
    /// </summary>
    public bool AcceptSourceRoute { get; init; }
}
