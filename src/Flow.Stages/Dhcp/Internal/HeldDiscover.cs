using Flow.Stages.Ipv4;

namespace Flow.Stages.Dhcp.Internal;

/// <summary>
/// A DISCOVER a DHCP server holds while it probes the address it means to offer: the request's
/// packet (the offer is built in it), the pool and lease slot, the check <c>arp</c> reports
/// claims to, when the probe ends, and how many addresses this DISCOVER has probed before.
/// </summary>
internal readonly record struct HeldDiscover(Packet Packet, DhcpPool Pool, int Index, AddressCheck Check, long Deadline, int Attempt);
