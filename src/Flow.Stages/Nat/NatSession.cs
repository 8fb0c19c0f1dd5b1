using System.Runtime.InteropServices;

namespace Flow.Stages.Nat;

/// <summary>
/// One translated conversation: an internal endpoint, the external endpoint it is seen at, and
/// the remote endpoint it talks to, for one protocol (ICMP queries: the echo identifier is the
/// port, the remote port 0). Addresses in host order. Lives in <see cref="NatTable"/>'s native
/// array; the links chain it into the table's hashes and lists.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 64)]
public struct NatSession
{
    public uint InsideAddress;
    public uint OutsideAddress;
    public uint RemoteAddress;
    public ushort InsidePort;
    public ushort OutsidePort;
    public ushort RemotePort;
    public byte Protocol;
    public NatSessionState State;
    internal NatTimeoutClass TimeoutClass;
    internal int Mapping;
    internal int InsideNext;
    internal int OutsideNext;
    internal int AgePrev;
    internal int AgeNext;
    internal int MappingPrev;
    internal int MappingNext;

    /// <summary>When a packet last refreshed it: the NAT clock in milliseconds, modulo 2^32 (compared by difference).</summary>
    public uint LastUsed;

    /// <summary>When it went to the tail of its aging list (milliseconds, as <see cref="LastUsed"/>).</summary>
    internal uint Queued;

    /// <summary>Packets translated in either direction.</summary>
    public uint Packets;
}
