using System.Runtime.InteropServices;

namespace Flow;

/// <summary>struct flow_dpdk_port_config.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FlowDpdkPortConfig
{
    public ushort RxQueues;
    public ushort TxQueues;
    public ushort RxDescriptors;
    public ushort TxDescriptors;
    public ushort Mtu;
    public sbyte Promiscuous;
    public byte Rss;
    public uint Reserved;
    public nint Pool;
}
