using System.Runtime.InteropServices;

namespace Flow.Backends.Memif.Protocol;

/// <summary>DISCONNECT (either side, any time): an error code and a reason the peer can log.</summary>
/// <remarks>
/// <code>
///  0               4                                              100
///  +---------------+----------------------------------------------+
///  | code (u32)    | reason[96] (NUL padded)                      |
///  +---------------+----------------------------------------------+
/// </code>
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = 100)]
internal unsafe struct MemifDisconnect
{
    [FieldOffset(0)] public uint Code;
    [FieldOffset(4)] public fixed byte Reason[MemifConstants.DisconnectReasonSize];
}
