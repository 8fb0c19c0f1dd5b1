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

    /// <summary>
    /// Creates a memfd of <paramref name="size"/> bytes, sealed against shrinking, growing and
    /// further seals, and maps it. Shrink: a peer that shrank it would make our next access
    /// SIGBUS. Seal-seal: a peer that keeps the fd cannot add F_SEAL_WRITE/F_SEAL_FUTURE_WRITE
    /// later and so break every later connection's writable mmap (security review M5).
    /// </summary>
    public static MemifRegion Create(string name, ulong size)
    {
        int fd = NewSealedMemfd(name, size);
        MemifRegion? region = Map(fd, size);
        if (region is null)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            Interop.Sys.Close(fd); // Map takes the fd only when it succeeds
            throw new IOException($"mmap of the memif region failed: errno {errno}");
        }
        return region;
    }

    /// <summary>
    /// Puts a fresh sealed memfd (zeroed) behind the same addresses, atomically (mmap MAP_FIXED
    /// replaces the old mapping in one step, so no address is ever unmapped), and closes the
    /// old one: whoever kept the old fd or mapping no longer shares anything with this process.
    /// False (the old memory stays) when the kernel refuses.
    /// </summary>
    public bool TryReplace(string name)
    {
        int fd;
        try
        {
            fd = NewSealedMemfd(name, Size);
        }
        catch (IOException)
        {
            return false;
        }
        void* address = Interop.Sys.MMap(_base, (nuint)Size, Interop.Sys.PROT_READ | Interop.Sys.PROT_WRITE,
            Interop.Sys.MAP_SHARED | Interop.Sys.MAP_FIXED, fd, 0);
        if (address != _base)
        {
            Interop.Sys.Close(fd);
            return false;
        }
        Interop.Sys.Close(Interlocked.Exchange(ref _fd, fd));
        return true;
    }

    private static int NewSealedMemfd(string name, ulong size)
    {
        int fd = Interop.Sys.MemfdCreate(name, Interop.Sys.MFD_CLOEXEC | Interop.Sys.MFD_ALLOW_SEALING);
        if (fd < 0)
        {
            throw new IOException($"memfd_create failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
        if (Interop.Sys.Ftruncate(fd, (long)size) != 0 ||
            Interop.Sys.Fcntl(fd, Interop.Sys.F_ADD_SEALS, Interop.Sys.F_SEAL_SHRINK | Interop.Sys.F_SEAL_GROW | Interop.Sys.F_SEAL_SEAL) != 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            Interop.Sys.Close(fd);
            throw new IOException($"sizing or sealing the memif region failed: errno {errno}");
        }
        return fd;
    }

    /// <summary>Maps a region fd (own or the peer's); null when mmap fails (the fd stays the caller's). Takes ownership of the fd on success.</summary>
    public static MemifRegion? Map(int fd, ulong size)
    {
        void* address = Interop.Sys.MMap(null, (nuint)size, Interop.Sys.PROT_READ | Interop.Sys.PROT_WRITE,
            Interop.Sys.MAP_SHARED, fd, 0);
        if (address == Interop.Sys.MAP_FAILED)
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
            Interop.Sys.MUnmap(address, (nuint)Size);
        }
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            Interop.Sys.Close(fd);
        }
    }
}
