using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Flow;

/// <summary>struct flow_dpdk_port_info.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FlowDpdkPortInfo
{
    public MacBytes Mac;
    public ushort RxDescriptors;
    public ushort TxDescriptors;
    public ushort MaxRxQueues;
    public ushort MaxTxQueues;
    public ushort Mtu;
    public ulong RssHashFunctions;
    public DriverName Driver;

    [InlineArray(6)]
    internal struct MacBytes
    {
        private byte _first;
    }

    [InlineArray(32)]
    internal struct DriverName
    {
        private byte _first;
    }
}
