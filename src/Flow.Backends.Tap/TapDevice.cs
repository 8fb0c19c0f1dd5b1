using System.Globalization;
using System.Runtime.InteropServices;

namespace Flow.Backends.Tap;

/// <summary>
/// One queue of a Linux TAP interface: an fd of <c>/dev/net/tun</c> attached with
/// IFF_TAP | IFF_NO_PI (| IFF_MULTI_QUEUE), non-blocking. Frames read from it are what the
/// kernel transmits on the interface; frames written to it are received by the kernel's stack.
/// The interface lives while an fd is open (it is not made persistent).
/// </summary>
/// <remarks>
/// Flow creates its taps with IFF_TUN_EXCL: as root, a plain TUNSETIFF attaches to any tap of
/// that name, so it could take a queue of a VM's multi-queue tap or a detached persistent tap
/// of another owner and receive part of their traffic. An interface that already exists is
/// attached to only when this process holds it already (the further queues of a multi-queue
/// tap it created) or when it is a persistent tap made for this user (<c>ip tuntap add ...
/// user &lt;uid&gt;</c>, the way to run Flow on a tap without root).
/// </remarks>
public sealed unsafe class TapDevice : SafeHandle
{
    // Open fds per interface name this process created or attached to; guarded by s_heldLock.
    private static readonly Dictionary<string, int> s_held = new(StringComparer.Ordinal);
    private static readonly Lock s_heldLock = new();

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
        int fd = Interop.Sys.Open("/dev/net/tun", Interop.Sys.O_RDWR | Interop.Sys.O_NONBLOCK | Interop.Sys.O_CLOEXEC, mode: 0);
        if (fd < 0)
        {
            ThrowHelper.ThrowIO("open /dev/net/tun", Marshal.GetLastPInvokeError());
        }
        short flags = (short)(Interop.Sys.IFF_TAP | Interop.Sys.IFF_NO_PI | (options.MultiQueue ? Interop.Sys.IFF_MULTI_QUEUE : 0));
        TapDevice device;
        lock (s_heldLock)
        {
            bool held = s_held.ContainsKey(options.Interface);
            int errno = SetInterface(fd, options.Interface, held ? flags : (short)(flags | Interop.Sys.IFF_TUN_EXCL), out InterfaceRequest request);
            if (errno == Interop.Errno.EBUSY && !held)
            {
                if (!IsPersistentTapOfThisUser(options.Interface))
                {
                    Interop.Sys.Close(fd);
                    throw new IOException(
                        $"TAP '{options.Interface}' already exists and this process did not create it: a persistent tap, another program's or a VM's tap, or another kind of interface. " +
                        $"Flow does not take over an interface it does not own; remove it (ip link del {options.Interface}), choose another name, " +
                        $"or make it a persistent tap for Flow's user (ip tuntap add dev {options.Interface} mode tap user <uid>).", errno);
                }
                errno = SetInterface(fd, options.Interface, flags, out request);
            }
            if (errno != 0)
            {
                Interop.Sys.Close(fd);
                ThrowHelper.ThrowIO($"TUNSETIFF '{options.Interface}' (IFF_TAP{(options.MultiQueue ? " | IFF_MULTI_QUEUE" : "")})", errno);
            }
            device = new TapDevice(fd, request.NameString);
            s_held[device.Name] = s_held.GetValueOrDefault(device.Name) + 1;
        }
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

    /// <summary>TUNSETIFF with <paramref name="flags"/>; 0 or the errno.</summary>
    private static int SetInterface(int fd, string name, short flags, out InterfaceRequest request)
    {
        request = InterfaceRequest.For(name);
        request.Flags = flags;
        fixed (InterfaceRequest* pointer = &request)
        {
            return Interop.Sys.Ioctl(fd, Interop.Sys.TUNSETIFF, pointer) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>
    /// True when <paramref name="name"/> is a tap (not tun) device whose owner (TUNSETOWNER,
    /// shown in sysfs; -1 when none was set) is this process's effective user.
    /// </summary>
    private static bool IsPersistentTapOfThisUser(string name)
    {
        string device = $"/sys/class/net/{name}";
        return File.Exists($"{device}/tun_flags") && File.Exists($"{device}/owner")
            && int.TryParse(File.ReadAllText($"{device}/tun_flags").Trim().Replace("0x", "", StringComparison.Ordinal), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int flags)
            && (flags & Interop.Sys.IFF_TAP) != 0
            && long.TryParse(File.ReadAllText($"{device}/owner").Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long owner)
            && owner == Interop.Sys.GetEUid();
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

    protected override bool ReleaseHandle()
    {
        lock (s_heldLock)
        {
            int open = s_held.GetValueOrDefault(Name) - 1;
            if (open > 0)
            {
                s_held[Name] = open;
            }
            else
            {
                s_held.Remove(Name);
            }
        }
        return Interop.Sys.Close((int)handle) == 0;
    }
}
