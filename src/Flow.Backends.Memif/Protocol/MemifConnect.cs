using System.Runtime.InteropServices;

namespace Flow.Backends.Memif.Protocol;

/// <summary>
/// Body of CONNECT (client → server: "all regions and rings sent, map them") and CONNECTED
/// (server → client: "mapped, link up"): the sender's interface name.
/// </summary>
/// <remarks>
/// <code>
///  0                                  32
///  +----------------------------------+
///  | if_name[32] (NUL padded)         |
///  +----------------------------------+
/// </code>
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = MemifConstants.NameSize)]
internal unsafe struct MemifConnect
{
    [FieldOffset(0)] public fixed byte InterfaceName[MemifConstants.NameSize];
}
