using System.Globalization;
using System.Runtime.InteropServices;

namespace Flow.Backends.Tap;

/// <summary>
/// One queue of a Linux TAP interface: an fd of <c>/dev/net/tun</c> attached with
/// IFF_TAP | IFF_NO_PI (| IFF_MULTI_QUEUE), non-blocking. Frames read from it are what the
/// kernel transmits on the interface; frames written to it are received by the kernel's stack.
/// The interface lives while an fd is open (it is not made persistent).
/// </summary>
public sealed unsafe class TapDevice : SafeHandle
{
    private TapDevice(int fd, string name)
        : base(invalidHandleValue: -1, ownsHandle: true)
    {
        SetHandle(fd);
        Name = name;
    }

    public string Name { get; }

    public int Fd => (int)handle;

    public override bool IsInvalid => handle == -1;

    /// <summary>Creates or attaches to the interface and applies MTU, MAC and up from <paramref name="options"/>.</summary>
    public static TapDevice Open(TapOptions options)
    {
        if (options.Interface.Length > InterfaceRequest.NameSize - 1)
        {
            ThrowHelper.ThrowArgument(nameof(options), $"interface name '{options.Interface}' is longer than 15 characters");
        }
        byte[]? mac = options.Mac.Length == 0 ? null : ParseMac(options.Mac);
        int fd = Interop.Sys.Open("/dev/net/tun", Interop.Sys.O_RDWR | Interop.Sys.O_NONBLOCK | Interop.Sys.O_CLOEXEC);
        if (fd < 0)
        {
            ThrowHelper.ThrowIO("open /dev/net/tun", Marshal.GetLastPInvokeError());
        }
        InterfaceRequest request = InterfaceRequest.For(options.Interface);
        request.Flags = (short)(Interop.Sys.IFF_TAP | Interop.Sys.IFF_NO_PI | (options.MultiQueue ? Interop.Sys.IFF_MULTI_QUEUE : 0));
        if (Interop.Sys.Ioctl(fd, Interop.Sys.TUNSETIFF, &request) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Interop.Sys.Close(fd);
            ThrowHelper.ThrowIO($"TUNSETIFF '{options.Interface}' (IFF_TAP{(options.MultiQueue ? " | IFF_MULTI_QUEUE" : "")})", errno);
        }
        var device = new TapDevice(fd, request.NameString);
        try
        {
            device.Configure(options.Mtu, mac, options.Up);
        }
        catch
        {
            device.Dispose();
            throw;
        }
        return device;
    }

    private void Configure(int mtu, byte[]? mac, bool up)
    {
        int socket = Interop.Sys.Socket(Interop.Sys.AF_INET, Interop.Sys.SOCK_DGRAM | Interop.Sys.SOCK_CLOEXEC, 0);
        if (socket < 0)
        {
            ThrowHelper.ThrowIO("socket(AF_INET) for interface ioctls", Marshal.GetLastPInvokeError());
        }
        try
        {
            if (mtu != 0)
            {
                InterfaceRequest request = InterfaceRequest.For(Name);
                request.Mtu = mtu;
                Ioctl(socket, Interop.Sys.SIOCSIFMTU, ref request, $"SIOCSIFMTU {mtu} on '{Name}'");
            }
            if (mac is not null)
            {
                InterfaceRequest request = InterfaceRequest.For(Name);
                request.HardwareFamily = Interop.Sys.ARPHRD_ETHER;
                for (int i = 0; i < 6; i++)
                {
                    request.HardwareAddress[i] = mac[i];
                }
                Ioctl(socket, Interop.Sys.SIOCSIFHWADDR, ref request, $"SIOCSIFHWADDR on '{Name}'");
            }
            if (up)
            {
                InterfaceRequest request = InterfaceRequest.For(Name);
                Ioctl(socket, Interop.Sys.SIOCGIFFLAGS, ref request, $"SIOCGIFFLAGS on '{Name}'");
                request.Flags |= Interop.Sys.IFF_UP;
                Ioctl(socket, Interop.Sys.SIOCSIFFLAGS, ref request, $"SIOCSIFFLAGS up on '{Name}'");
            }
        }
        finally
        {
            Interop.Sys.Close(socket);
        }
    }

    private static void Ioctl(int socket, nuint command, ref InterfaceRequest request, string what)
    {
        fixed (InterfaceRequest* pointer = &request)
        {
            if (Interop.Sys.Ioctl(socket, command, pointer) != 0)
            {
                ThrowHelper.ThrowIO(what, Marshal.GetLastPInvokeError());
            }
        }
    }

    private static byte[] ParseMac(string text)
    {
        string[] parts = text.Split(':');
        byte[] mac = new byte[6];
        if (parts.Length != 6 || !parts.All(p => p.Length == 2 && byte.TryParse(p, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out _)))
        {
            ThrowHelper.ThrowArgument("options", $"MAC '{text}' is not six hex bytes separated by colons");
        }
        for (int i = 0; i < 6; i++)
        {
            mac[i] = byte.Parse(parts[i], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }
        return mac;
    }

    protected override bool ReleaseHandle() => Interop.Sys.Close((int)handle) == 0;
}
