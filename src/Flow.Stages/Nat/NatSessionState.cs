namespace Flow.Stages.Nat;

/// <summary>Where a session's conversation is: UDP and ICMP sessions are always <see cref="Open"/>; TCP ones follow their segments (RFC 5382 5).</summary>
public enum NatSessionState : byte
{
    Open,

    /// <summary>An outbound SYN, no answer yet.</summary>
    SynOutbound,

    /// <summary>An inbound SYN to a mapping that admitted it, no answer yet.</summary>
    SynInbound,

    /// <summary>SYN seen both ways.</summary>
    Established,

    /// <summary>FIN seen from the internal side only.</summary>
    FinOutbound,

    /// <summary>FIN seen from the remote side only.</summary>
    FinInbound,

    /// <summary>FIN seen both ways, or a RST: held for the transitory time, then gone.</summary>
    Closing,
}
