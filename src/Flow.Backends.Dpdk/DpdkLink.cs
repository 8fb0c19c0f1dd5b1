namespace Flow.Backends.Dpdk;

/// <summary>A DPDK port's link as its driver reports it (rte_eth_link_get_nowait).</summary>
public readonly record struct DpdkLink(bool Up, uint SpeedMbps, bool FullDuplex);
