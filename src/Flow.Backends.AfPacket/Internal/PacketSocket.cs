using System.Runtime.InteropServices;

namespace Flow.Backends.AfPacket;

/// <summary>An AF_PACKET socket fd with its mmap'ed ring; closes both exactly once.</summary>
internal sealed unsafe class PacketSocket : SafeFileDescriptor
{
    private byte* _ring;
    private nuint _ringLength;

    public PacketSocket(int fd)
        : base(fd)
    {
    }

    public byte* Ring => _ring;

    /// <summary>Opens a raw AF_PACKET socket that receives nothing until bound (protocol 0).</summary>
    public static PacketSocket Open()
    {
        int fd = Interop.Sys.Socket(Interop.Sys.AF_PACKET, Interop.Sys.SOCK_RAW | Interop.Sys.SOCK_NONBLOCK | Interop.Sys.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            ThrowHelper.ThrowIO("socket(AF_PACKET, SOCK_RAW) (needs CAP_NET_RAW)", errno);
        }
        return new PacketSocket(fd);
    }

    public void SetInt(int name, int value, string what)
    {
        int errno = Interop.Sys.SetSockOptInt(Fd, Interop.Sys.SOL_PACKET, name, value);
        if (errno != 0)
        {
            ThrowHelper.ThrowIO(what, errno);
        }
    }

    public void Set<T>(int name, in T value, int size, string what) where T : unmanaged
    {
        fixed (T* pointer = &value)
        {
            if (Interop.Sys.SetSockOpt(Fd, Interop.Sys.SOL_PACKET, name, pointer, (uint)size) != 0)
            {
                ThrowHelper.ThrowIO(what, Marshal.GetLastPInvokeError());
            }
        }
    }

    /// <summary>Binds to one interface; <paramref name="protocol"/> in host order (ETH_P_ALL to receive, 0 to only send).</summary>
    public void Bind(int interfaceIndex, ushort protocol)
    {
        // Zeroed explicitly: the address goes to the kernel.
        SockAddrLl address = default;
        address.Family = Interop.Sys.AF_PACKET;
        address.ProtocolNetworkOrder = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(protocol);
        address.InterfaceIndex = interfaceIndex;
        if (Interop.Sys.Bind(Fd, &address, SockAddrLl.Size) != 0)
        {
            ThrowHelper.ThrowIO($"bind to interface index {interfaceIndex}", Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Maps the ring the kernel made for PACKET_RX_RING/PACKET_TX_RING.</summary>
    public void MapRing(nuint length)
    {
        void* ring = Interop.Sys.MMap(null, length, Interop.Sys.PROT_READ | Interop.Sys.PROT_WRITE,
            Interop.Sys.MAP_SHARED | Interop.Sys.MAP_POPULATE, Fd, 0);
        if (ring == Interop.Sys.MAP_FAILED)
        {
            ThrowHelper.ThrowIO($"mmap of a {length}-byte packet ring", Marshal.GetLastPInvokeError());
        }
        _ring = (byte*)ring;
        _ringLength = length;
    }

    protected override bool ReleaseHandle()
    {
        if (_ring != null)
        {
            Interop.Sys.MUnmap(_ring, _ringLength);
            _ring = null;
        }
        return base.ReleaseHandle();
    }
}
