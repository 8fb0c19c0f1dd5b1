using System.Runtime.InteropServices;

namespace Flow.Protocols.Vlan;

/// <summary>
/// The four bytes after a VLAN TPID: the tag control information and the type that follows
/// (IEEE 802.1Q 9.6). The TPID itself is the preceding EtherType field.
/// </summary>
/// <remarks>
/// <code>
/// +-----+---+------------------------+-------------------------------+
/// | PCP |DEI|       VLAN ID (12)     |      next EtherType / TPID    |
/// +-----+---+------------------------+-------------------------------+
///   3     1            12                          16
/// </code>
/// </remarks>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct VlanTag
{
    public const int Size = 4;

    public NetU16 ControlInformation;

    /// <summary>The EtherType (or next TPID) that follows this tag.</summary>
    public NetU16 EtherType;

    /// <summary>Priority code point, 0-7.</summary>
    public byte Priority
    {
        readonly get => (byte)(ControlInformation.Host >> 13);
        set => ControlInformation = new NetU16((ushort)((ControlInformation.Host & 0x1FFF) | ((value & 7) << 13)));
    }

    /// <summary>Drop eligible indicator (formerly CFI).</summary>
    public bool DropEligible
    {
        readonly get => (ControlInformation.Host & 0x1000) != 0;
        set => ControlInformation = new NetU16((ushort)((ControlInformation.Host & 0xEFFF) | (value ? 0x1000 : 0)));
    }

    /// <summary>VLAN identifier, 0-4095 (0: priority tag only, 4095: reserved).</summary>
    public ushort VlanId
    {
        readonly get => (ushort)(ControlInformation.Host & 0x0FFF);
        set => ControlInformation = new NetU16((ushort)((ControlInformation.Host & 0xF000) | (value & 0x0FFF)));
    }
}
