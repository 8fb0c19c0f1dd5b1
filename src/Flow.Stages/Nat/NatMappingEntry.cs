using System.Runtime.InteropServices;

namespace Flow.Stages.Nat;

/// <summary>
/// An internal endpoint bound to an external address:port for one protocol (RFC 4787 "mapping").
/// With address-and-port-dependent mapping the remote endpoint is part of the key; with
/// endpoint-independent mapping it is 0. Lives while a session uses it, or always when static.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 40)]
public struct NatMappingEntry
{
    public uint InsideAddress;
    public uint OutsideAddress;
    public uint RemoteAddress;
    public ushort InsidePort;
    public ushort OutsidePort;
    public ushort RemotePort;
    public byte Protocol;

    /// <summary>A port mapping from configuration or <c>nat mappings add</c>: kept without sessions.</summary>
    public bool IsStatic;

    /// <summary>Sessions using it.</summary>
    public int Sessions;
    internal int FirstSession;
    internal int InsideNext;
    internal int OutsideNext;
}
