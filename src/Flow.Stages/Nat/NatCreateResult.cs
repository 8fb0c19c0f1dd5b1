namespace Flow.Stages.Nat;

/// <summary>What <see cref="NatTable.TryCreateSession"/> did.</summary>
public enum NatCreateResult
{
    Created,

    /// <summary>The table holds <see cref="NatOptions.MaxSessions"/> sessions.</summary>
    TableFull,

    /// <summary>The internal host holds <see cref="NatOptions.MaxSessionsPerHost"/> sessions.</summary>
    HostLimit,

    /// <summary>No free port on the host's external address in the range and parity the internal port asks for.</summary>
    PortsExhausted,

    /// <summary>The NAT has no external address (the outside interface's DHCP lease is not bound).</summary>
    NoAddress,
}
