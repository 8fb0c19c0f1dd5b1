namespace Flow;

/// <summary>
/// What a port carries: the packet types a port declares (<see cref="PortAttribute"/>) and a
/// stage accepts (<see cref="StageAttribute.Accepts"/>). A connection is allowed when the
/// receiving stage accepts the sending port's type or a base of it, so a stage accepting
/// <see cref="Ethernet"/> takes <see cref="Ipv4"/> too. Users add their own by deriving.
/// </summary>
public static class Carries
{
    /// <summary>Any packet at all; what a port without a declaration carries.</summary>
    public abstract class Any
    {
        protected Any()
        {
        }
    }

    /// <summary>An Ethernet II frame, data starting at the destination MAC.</summary>
    public abstract class Ethernet : Any
    {
        protected Ethernet()
        {
        }
    }

    /// <summary>
    /// An Ethernet frame carrying IPv4 whose L3 offset points at the IPv4 header, which has been
    /// validated (version, IHL, lengths).
    /// </summary>
    public abstract class Ipv4 : Ethernet
    {
        protected Ipv4()
        {
        }
    }

    /// <summary>An Ethernet frame carrying IPv6 whose L3 offset points at the IPv6 header.</summary>
    public abstract class Ipv6 : Ethernet
    {
        protected Ipv6()
        {
        }
    }

    /// <summary>An Ethernet frame carrying ARP whose L3 offset points at the ARP header.</summary>
    public abstract class Arp : Ethernet
    {
        protected Arp()
        {
        }
    }

    /// <summary>
    /// For a pass-through port (counters, taps, capture points): it carries whatever the stage
    /// received — the most specific type common to every edge into the stage — resolved when
    /// the graph is built.
    /// </summary>
    public abstract class SameAsInput : Any
    {
        private SameAsInput()
        {
        }
    }
}
