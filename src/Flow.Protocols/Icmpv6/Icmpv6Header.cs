using System.Runtime.InteropServices;

namespace Flow.Protocols.Icmpv6;

/// <summary>The 4 bytes common to every ICMPv6 message (RFC 4443 2.1); the body depends on the type.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct Icmpv6Header
{
    public const int Size = 4;

    public byte Type;
    public byte Code;
    public NetU16 Checksum;
}
