namespace Flow.Backends.Memif.Internal;

/// <summary>A shared-memory region: a memfd mapped into this process.</summary>
internal sealed unsafe class MemifRegion : IDisposable
{
    private int _fd;
    private byte* _base;

    private MemifRegion(int fd, byte* @base, ulong size)
    {
        _fd = fd;
        _base = @base;
        Size = size;
    }

    public int Fd => _fd;

    public byte* Base => _base;

    public ulong Size { get; }

    /// <summary>Creates a sealed (no shrink) memfd of <paramref name="size"/> bytes and maps it.</summary>
    public static MemifRegion Create(string name, ulong size)
    {
        int fd = Interop.Sys.MemfdCreate(name, Interop.Sys.MFD_CLOEXEC | Interop.Sys.MFD_ALLOW_SEALING);
        if (fd < 0)
        {
            throw new IOException($"memfd_create failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
        if (Interop.Sys.Ftruncate(fd, (long)size) != 0 ||
            Interop.Sys.Fcntl(fd, Interop.Sys.F_ADD_SEALS, Interop.Sys.F_SEAL_SHRINK) != 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            Interop.Sys.Close(fd);
            throw new IOException($"sizing or sealing the memif region failed: errno {errno}");
        }
        return Map(fd, size) ?? throw new IOException("mmap of the memif region failed");
    }

    /// <summary>Maps a region fd (own or the peer's); null when mmap fails. Takes ownership of the fd.</summary>
    public static MemifRegion? Map(int fd, ulong size)
    {
        void* address = Interop.Sys.Mmap(null, (nuint)size, Interop.Sys.PROT_READ | Interop.Sys.PROT_WRITE,
            Interop.Sys.MAP_SHARED, fd, 0);
        if (address == Interop.Sys.MapFailed)
        {
            return null;
        }
        return new MemifRegion(fd, (byte*)address, size);
    }

    public void Dispose()
    {
        byte* address = _base;
        _base = null;
        if (address != null)
        {
            Interop.Sys.Munmap(address, (nuint)Size);
        }
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            Interop.Sys.Close(fd);
        }
    }
}
