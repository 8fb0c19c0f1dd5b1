using System.Runtime.InteropServices;

namespace Flow;

/// <summary>struct flow_dpdk_port_stats (rte_eth_stats' totals).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FlowDpdkPortStats
{
    public ulong InPackets;
    public ulong OutPackets;
    public ulong InBytes;
    public ulong OutBytes;
    public ulong InMissed;
    public ulong InErrors;
    public ulong OutErrors;
    public ulong RxNoMbuf;
}
