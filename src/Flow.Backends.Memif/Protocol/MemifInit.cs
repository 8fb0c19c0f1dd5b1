using System.Runtime.InteropServices;

namespace Flow.Backends.Memif.Protocol;

/// <summary>INIT (client → server): which interface the client wants, and its credentials.</summary>
/// <remarks>
/// <code>
///  0       2               6   7                        31                          63
///  +-------+---------------+---+------------------------+---------------------------+
///  | ver   | interface id  |mode| secret[24]            | name[32] (client app)     |
///  +-------+---------------+---+------------------------+---------------------------+
/// </code>
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = 63)]
internal unsafe struct MemifInit
{
    [FieldOffset(0)] public ushort Version;
    [FieldOffset(2)] public uint InterfaceId;
    [FieldOffset(6)] public byte Mode;
    [FieldOffset(7)] public fixed byte Secret[MemifConstants.SecretSize];
    [FieldOffset(31)] public fixed byte Name[MemifConstants.NameSize];
}
