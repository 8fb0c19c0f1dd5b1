namespace Flow.Stages.Icmp;

/// <summary>
/// Errors an <see cref="IcmpErrorSender"/> sent, by kind. What it suppressed is in its drop
/// counters (stage statistics), one per reason.
/// </summary>
public sealed record IcmpErrorCounters(
    long TimeExceeded,
    long NetUnreachable,
    long HostUnreachable,
    long ProtocolUnreachable,
    long PortUnreachable,
    long FragmentationNeeded,
    long AdminProhibited)
{
    public long Total => TimeExceeded + NetUnreachable + HostUnreachable + ProtocolUnreachable + PortUnreachable + FragmentationNeeded + AdminProhibited;
}
