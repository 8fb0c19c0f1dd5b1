namespace Flow.Stages.Routing;

/// <summary>What a route does with a packet (grout's next-hop types; Linux's route types).</summary>
public enum NextHopKind : byte
{
    /// <summary>No route: the lookup found nothing (next-hop id <see cref="NextHopTable.NoRoute"/>).</summary>
    None,
    /// <summary>Forward to a gateway on a port (<c>via 192.0.2.1 dev lan</c>).</summary>
    Via,
    /// <summary>Forward on a port to the destination itself: a connected prefix (<c>dev lan</c>).</summary>
    Connected,
    /// <summary>An address of the router: deliver locally.</summary>
    Local,
    /// <summary>Drop silently (<c>blackhole</c>).</summary>
    Blackhole,
    /// <summary>Drop and answer ICMP destination unreachable, administratively prohibited (<c>prohibit</c>; RFC 1812 §5.2.7.1 code 13).</summary>
    Reject,
    /// <summary>An ECMP group: the flow hash picks one of its members (each a <see cref="Via"/> next hop).</summary>
    Multipath,
}
