namespace Flow.Stages.Dhcp;

/// <summary>The state of an address in a DHCP server's range.</summary>
public enum DhcpLeaseState : byte
{
    /// <summary>Not in use; it may remember the client that had it last.</summary>
    Free,
    /// <summary>Offered to a client and held for it for the offer time.</summary>
    Offered,
    /// <summary>Leased to a client until the lease ends.</summary>
    Bound,
    /// <summary>A client found it in use (DHCPDECLINE); not offered for the decline time.</summary>
    Declined,
}
