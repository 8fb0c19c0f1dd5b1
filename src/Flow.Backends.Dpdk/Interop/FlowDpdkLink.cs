using System.Runtime.InteropServices;

namespace Flow;

/// <summary>struct flow_dpdk_link.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FlowDpdkLink
{
    public uint SpeedMbps;
    public byte Up;
    public byte FullDuplex;
    public byte Autoneg;
    public byte Reserved;
}
