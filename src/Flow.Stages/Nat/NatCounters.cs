namespace Flow.Stages.Nat;

/// <summary>What both halves of one NAT did, kept with its <see cref="NatTable"/> (worker-owned; read through the control mailbox).</summary>
public sealed class NatCounters
{
    /// <summary>Packets translated leaving by the outside interface (ICMP errors included).</summary>
    public long Outbound;

    /// <summary>Packets translated to an internal destination (hairpinned ones included).</summary>
    public long Inbound;

    /// <summary>Packets from inside to an external endpoint, sent back inside.</summary>
    public long Hairpinned;

    /// <summary>Packets routed out by another NAT's interface and sent back by this one's gateway (dual WAN, "source in, source out").</summary>
    public long Steered;

    /// <summary>Packets refused because the session table was full.</summary>
    public long TableFull;

    /// <summary>Packets refused because their host held <see cref="NatOptions.MaxSessionsPerHost"/> sessions.</summary>
    public long HostLimit;

    /// <summary>Packets refused because no external port was free.</summary>
    public long PortsExhausted;

    /// <summary>Packets refused because the NAT had no external address yet (DHCP not bound).</summary>
    public long NoAddress;

    /// <summary>First fragments whose datagram could not be remembered (the fragment table's probes were all in use): its later fragments wait and expire.</summary>
    public long FragmentTableFull;
}
