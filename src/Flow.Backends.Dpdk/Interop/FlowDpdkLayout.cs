using System.Runtime.InteropServices;

namespace Flow;

/// <summary>struct flow_dpdk_layout: the rte_mbuf layout the shim was compiled against.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FlowDpdkLayout
{
    public uint AbiVersion;
    public uint MbufSize;
    public uint OffBufAddr;
    public uint OffDataOff;
    public uint OffRefcnt;
    public uint OffNbSegs;
    public uint OffPort;
    public uint OffOlFlags;
    public uint OffPktLen;
    public uint OffDataLen;
    public uint OffVlanTci;
    public uint OffHash;
    public uint OffBufLen;
    public uint OffPool;
    public uint OffNext;
    public uint Headroom;
    public uint MaxLcore;
    public uint Reserved;
    public ulong RxRssHashFlag;
    public ulong RxVlanStrippedFlag;
}
