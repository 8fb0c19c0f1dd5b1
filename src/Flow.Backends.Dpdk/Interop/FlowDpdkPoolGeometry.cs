using System.Runtime.InteropServices;

namespace Flow;

/// <summary>struct flow_dpdk_pool_geometry: object <c>i</c>'s mbuf is at <c>FirstMbuf + i * Stride</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FlowDpdkPoolGeometry
{
    public ulong FirstMbuf;
    public uint Stride;
    public uint Count;
    public uint BufOffset;
    public uint BufLength;
}
