namespace Flow.Stages.Dhcp;

/// <summary>
/// What a DHCP server received by message type and sent, as <c>dhcp show</c> prints it, and its
/// probes: addresses probed before an offer, and found in use by another host.
/// </summary>
public sealed record DhcpServerCounters(long Discovers, long Requests, long Declines, long Releases, long Informs, long Offers, long Acks, long Naks, long Expired,
    long Probes, long AddressesInUse);
