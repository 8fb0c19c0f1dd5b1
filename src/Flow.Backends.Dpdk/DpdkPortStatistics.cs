namespace Flow.Backends.Dpdk;

/// <summary>A DPDK port's totals (rte_eth_stats): <see cref="Missed"/> frames the device dropped for want of descriptors, <see cref="NoMbuf"/> for want of mbufs.</summary>
public readonly record struct DpdkPortStatistics(
    long InPackets, long OutPackets, long InBytes, long OutBytes, long Missed, long InErrors, long OutErrors, long NoMbuf);
