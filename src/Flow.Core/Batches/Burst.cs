namespace Flow;

/// <summary>How many packets a source takes per poll.</summary>
public static class Burst
{
#if FLOW_SMALL_BURST
    /// <summary>
    /// Debug builds use a small burst so tests walk the partial- and multi-batch paths
    /// (SocketAsyncEngine does the same with 32 vs 1024 events).
    /// </summary>
    public const int Default = 8;
#else
    /// <summary>32 packets: DPDK's and VPP's usual receive burst, a good fit for L1 with 2 KiB frames.</summary>
    public const int Default = 32;
#endif

    /// <summary>Largest burst a source may take in one poll (a batch's capacity).</summary>
    public const int Max = PacketBatch.DefaultCapacity;
}
