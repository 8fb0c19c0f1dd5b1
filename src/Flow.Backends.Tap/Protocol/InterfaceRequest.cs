using System.Runtime.InteropServices;

namespace Flow.Backends.Tap;

/// <summary>
/// <c>struct ifreq</c> (linux/if.h), as TUNSETIFF and the SIOCxIFx ioctls take it: a name and
/// one union member, chosen by the ioctl.
/// </summary>
/// <remarks>
/// <code>
///  0                                                              16
///  +---------------------------------------------------------------+
///  | ifr_name[16] (NUL-terminated)                                 |
///  +-------+-------+-----------------------------------------------+ 16
///  | union: ifr_flags (short) | ifr_mtu (int) |                    |
///  |        ifr_hwaddr (sockaddr: family u16, data[14] = MAC ...)  |
///  +---------------------------------------------------------------+ 40
/// </code>
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public unsafe struct InterfaceRequest
{
    public const int Size = 40;
    public const int NameSize = 16;

    [FieldOffset(0)] public fixed byte Name[NameSize];
    [FieldOffset(16)] public short Flags;
    [FieldOffset(16)] public int Mtu;
    [FieldOffset(16)] public ushort HardwareFamily;
    [FieldOffset(18)] public fixed byte HardwareAddress[6];

    /// <summary>A zeroed request (it goes to the kernel) naming <paramref name="name"/>.</summary>
    public static InterfaceRequest For(string name)
    {
        InterfaceRequest request = default;
        int length = System.Text.Encoding.ASCII.GetBytes(name, new Span<byte>(request.Name, NameSize - 1));
        request.Name[length] = 0;
        return request;
    }

    public string NameString
    {
        get
        {
            fixed (byte* name = Name)
            {
                return Marshal.PtrToStringAnsi((nint)name) ?? "";
            }
        }
    }
}
