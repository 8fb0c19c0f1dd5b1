using System.Runtime.CompilerServices;

namespace Flow.Backends.Dpdk;

/// <summary>
/// The rte_mbuf fields Flow reads and writes, at the offsets of DPDK 22.11 (ABI 23, verified on
/// Debian 22.11.11: research/router-and-dpdk.md 3.4). The shim reports the layout it was
/// compiled against, and <see cref="Check"/> refuses to run on any difference: these offsets are
/// constants so the JIT folds them into the rx and tx loops.
/// </summary>
/// <remarks>
/// <code>
///  0               8      16     18     20     22     24              32
///  +---------------+------+------+------+------+---------------+
///  | buf_addr      | iova | data | ref  | nb   | port | ol_flags      |
///  |               |      | _off | cnt  | segs |      |               |
///  +---------------+------+------+------+------+------+---------------+
///  32  packet_type  36 pkt_len  40 data_len 42 vlan_tci 44 hash (rss) 54 buf_len 56 pool
///  64  next   72 tx_offload   80 shinfo   88 priv_size ... 128
/// </code>
/// </remarks>
internal static unsafe class Mbuf
{
    public const int Size = 128;
    public const int BufAddr = 0;
    public const int DataOff = 16;
    public const int NbSegs = 20;
    public const int OlFlags = 24;
    public const int PktLen = 36;
    public const int DataLen = 40;
    public const int VlanTci = 42;
    public const int Hash = 44;
    public const int BufLen = 54;
    public const int Pool = 56;
    public const int Next = 64;
    public const int Headroom = 128;

    /// <summary>The ABI version of native/flow_dpdk.h this assembly speaks.</summary>
    public const uint AbiVersion = 1;

    /// <summary>RTE_MBUF_F_RX_RSS_HASH: <c>hash.rss</c> holds the device's flow hash.</summary>
    public static ulong RxRssHash { get; private set; }

    /// <summary>RTE_MBUF_F_RX_VLAN_STRIPPED: the device took the 802.1Q tag out into <c>vlan_tci</c>.</summary>
    public static ulong RxVlanStripped { get; private set; }

    /// <summary>Null when the shim's layout is the one above, else what differs.</summary>
    public static string? Check(in FlowDpdkLayout layout)
    {
        var wrong = new List<string>();
        void Expect(string field, uint actual, int expected)
        {
            if (actual != (uint)expected)
            {
                wrong.Add($"{field} is {actual}, Flow expects {expected}");
            }
        }
        if (layout.AbiVersion != AbiVersion)
        {
            wrong.Add($"shim ABI version {layout.AbiVersion}, Flow speaks {AbiVersion}");
        }
        Expect("sizeof(struct rte_mbuf)", layout.MbufSize, Size);
        Expect("offsetof(buf_addr)", layout.OffBufAddr, BufAddr);
        Expect("offsetof(data_off)", layout.OffDataOff, DataOff);
        Expect("offsetof(nb_segs)", layout.OffNbSegs, NbSegs);
        Expect("offsetof(ol_flags)", layout.OffOlFlags, OlFlags);
        Expect("offsetof(pkt_len)", layout.OffPktLen, PktLen);
        Expect("offsetof(data_len)", layout.OffDataLen, DataLen);
        Expect("offsetof(vlan_tci)", layout.OffVlanTci, VlanTci);
        Expect("offsetof(hash)", layout.OffHash, Hash);
        Expect("offsetof(buf_len)", layout.OffBufLen, BufLen);
        Expect("offsetof(pool)", layout.OffPool, Pool);
        Expect("offsetof(next)", layout.OffNext, Next);
        Expect("RTE_PKTMBUF_HEADROOM", layout.Headroom, Headroom);
        RxRssHash = layout.RxRssHashFlag;
        RxVlanStripped = layout.RxVlanStrippedFlag;
        return wrong.Count == 0 ? null : string.Join("; ", wrong);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref T Field<T>(nint mbuf, int offset)
        where T : unmanaged => ref Unsafe.AsRef<T>((byte*)mbuf + offset);
}
