namespace Flow.Stages.Arp;

/// <summary>
/// Where a neighbour is in resolution (RFC 1122 2.3.2; the states Linux and grout name the same
/// way). Packets are sent to <see cref="Reachable"/>, <see cref="Stale"/> and <see cref="Probe"/>
/// neighbours, held for <see cref="Incomplete"/> ones and answered host unreachable for
/// <see cref="Failed"/> ones.
/// </summary>
public enum NeighbourState : byte
{
    /// <summary>No MAC yet: requests are being sent, packets are held.</summary>
    Incomplete,
    /// <summary>MAC confirmed by an ARP packet within the reachable time.</summary>
    Reachable,
    /// <summary>Reachable time over: still used; the first packet sent through it starts a re-probe.</summary>
    Stale,
    /// <summary>Being re-probed (unicast to the cached MAC first, then broadcast) while packets still go to the cached MAC.</summary>
    Probe,
    /// <summary>No answer to any probe: packets get host unreachable until the entry is removed.</summary>
    Failed,
}
