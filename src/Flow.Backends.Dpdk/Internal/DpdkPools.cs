namespace Flow.Backends.Dpdk;

/// <summary>
/// The open DPDK ports by the Flow pool id of their mempool, and by mempool address: lets a tx
/// stage send a packet of any DPDK port's pool as its mbuf (no copy: a driver frees an mbuf to
/// its own mempool, whichever port sent it), and an rx stage accept an mbuf of another port's
/// mempool (net_ring between two ports, memif zero-copy pass mbufs along).
/// </summary>
internal static class DpdkPools
{
    private static readonly DpdkPort?[] s_byPoolId = new DpdkPort?[PacketPools.MaxPools];
    private static readonly Lock s_lock = new();
    // Copy on write: readers take the array without a lock.
    private static DpdkPort[] s_all = [];

    /// <summary>The open ports (a snapshot).</summary>
    public static IReadOnlyList<DpdkPort> All => Volatile.Read(ref s_all);

    /// <summary>The port whose mempool backs pool <paramref name="poolId"/>, or null (a pool of another backend).</summary>
    public static DpdkPort? ByPoolId(ushort poolId) => Volatile.Read(ref s_byPoolId[poolId]);

    /// <summary>The open port whose mempool is <paramref name="mempool"/>, or null.</summary>
    public static DpdkPort? ByMempool(nint mempool)
    {
        foreach (DpdkPort port in Volatile.Read(ref s_all))
        {
            if (port.Mempool == mempool)
            {
                return port;
            }
        }
        return null;
    }

    public static void Add(DpdkPort port)
    {
        lock (s_lock)
        {
            Volatile.Write(ref s_byPoolId[port.Pool.Id], port);
            Volatile.Write(ref s_all, [.. s_all, port]);
        }
    }

    public static void Remove(DpdkPort port)
    {
        lock (s_lock)
        {
            if (ReferenceEquals(s_byPoolId[port.Pool.Id], port))
            {
                Volatile.Write(ref s_byPoolId[port.Pool.Id], null);
            }
            Volatile.Write(ref s_all, s_all.Where(p => !ReferenceEquals(p, port)).ToArray());
        }
    }
}
