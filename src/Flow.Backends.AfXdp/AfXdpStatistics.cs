namespace Flow.Backends.AfXdp;

/// <summary>
/// Counters of one AF_XDP queue: the kernel's XDP_STATISTICS and Flow's own. A racy snapshot,
/// safe to take from any thread.
/// </summary>
public readonly record struct AfXdpStatistics
{
    /// <summary>Kernel: frames dropped for other reasons (xdp_statistics.rx_dropped).</summary>
    public ulong RxDropped { get; init; }

    /// <summary>Kernel: fill-ring entries it could not use.</summary>
    public ulong RxInvalidDescriptors { get; init; }

    /// <summary>Kernel: tx descriptors it refused (outside the UMEM, too long).</summary>
    public ulong TxInvalidDescriptors { get; init; }

    /// <summary>Kernel: frames dropped because the rx ring was full (Flow polls too slowly).</summary>
    public ulong RxRingFull { get; init; }

    /// <summary>Kernel: times it found the fill ring empty (Flow refilled too slowly or ran out of frames).</summary>
    public ulong FillRingEmpty { get; init; }

    /// <summary>Kernel: times it found the tx ring empty when woken.</summary>
    public ulong TxRingEmpty { get; init; }

    /// <summary>Flow: frames taken from the rx ring.</summary>
    public long RxPackets { get; init; }

    public long RxBytes { get; init; }

    /// <summary>Flow: frames posted to the tx ring.</summary>
    public long TxPackets { get; init; }

    public long TxBytes { get; init; }

    /// <summary>Flow: tx frames that came from another pool and were copied into the UMEM.</summary>
    public long TxCopies { get; init; }

    /// <summary>Flow: tx frames whose transmission the kernel completed.</summary>
    public long TxCompleted { get; init; }

    /// <summary>Flow: recvfrom/poll wakeups for the fill ring, sendto kicks for the tx ring.</summary>
    public long RxWakeups { get; init; }

    public long TxKicks { get; init; }

    /// <summary>Flow: tx kicks that failed with something other than EAGAIN (ENOBUFS, ENETDOWN, ...).</summary>
    public long TxKickErrors { get; init; }

    /// <summary>Every counter by the name Flow's stats show it under (the kernel's first, as xdp_statistics names them).</summary>
    public IReadOnlyList<KeyValuePair<string, long>> ToCounters() =>
    [
        new("rx_dropped", (long)RxDropped), new("rx_invalid_descs", (long)RxInvalidDescriptors), new("tx_invalid_descs", (long)TxInvalidDescriptors),
        new("rx_ring_full", (long)RxRingFull), new("rx_fill_ring_empty_descs", (long)FillRingEmpty), new("tx_ring_empty_descs", (long)TxRingEmpty),
        new("flow_rx_packets", RxPackets), new("flow_rx_bytes", RxBytes), new("flow_tx_packets", TxPackets), new("flow_tx_bytes", TxBytes),
        new("flow_tx_copies", TxCopies), new("flow_tx_completed", TxCompleted), new("flow_rx_wakeups", RxWakeups), new("flow_tx_kicks", TxKicks),
        new("flow_tx_kick_errors", TxKickErrors),
    ];
}
