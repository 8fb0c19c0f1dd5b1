using System.Runtime.InteropServices;
using Flow.Protocols.Ethernet;

namespace Flow.Stages.Arp.Internal;

/// <summary>One neighbour of the <see cref="NeighbourTable"/>: key, state, timers and its hold queue.</summary>
[StructLayout(LayoutKind.Auto)]
internal struct NeighbourSlot
{
    public uint Address;            // host order
    public ushort Port;             // input-port id of the interface
    public short Interface;          // index in the RouterInterfaceTable
    public NeighbourState State;
    public bool InUse;
    public bool MacKnown;
    public bool OnLink;             // on a connected prefix of its interface: gets a /32 while resolved
    public bool Routed;             // a /32 add was queued and no delete since
    public byte Probes;             // requests sent in the current resolution
    public MacAddress Mac;
    public long Deadline;           // Reachable: until; Stale: removal; Failed: removal
    public long NextProbe;          // Incomplete/Probe: when the next request is due
    public long Changed;            // last state change or confirmation, for control output
    public int HeldHead;            // hold store index + 1; 0: none
    public int HeldTail;
    public int HeldCount;
    public int Next;                // bucket chain or free list, slot + 1; 0: end
    public int Version;             // odd while the writer changes what readers on other workers read (NeighbourTable.TryReadConcurrent)
}
