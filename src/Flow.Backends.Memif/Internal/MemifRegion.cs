using System.Runtime.InteropServices;

namespace Flow.Backends.Memif.Internal;

/// <summary>A shared-memory region: a memfd mapped into this process.</summary>
internal sealed unsafe class MemifRegion : IDisposable
{
    private SafeFileDescriptor _memfd;
    private byte* _base;

    private MemifRegion(SafeFileDescriptor memfd, byte* @base, ulong size)
    {
        _memfd = memfd;
        _base = @base;
        Size = size;
    }

    public int Fd => Volatile.Read(ref _memfd).Fd;

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
        SafeFileDescriptor memfd = NewSealedMemfd(name, size);
        void* address = MapShared(memfd.Fd, size);
        if (address == Interop.Sys.MAP_FAILED)
        {
            int errno = Marshal.GetLastPInvokeError();
            memfd.Dispose();
            throw new IOException($"mmap of the memif region failed: errno {errno}");
        }
        return new MemifRegion(memfd, (byte*)address, size);
    }

    /// <summary>
    /// Puts a fresh sealed memfd (zeroed) behind the same addresses, atomically (mmap MAP_FIXED
    /// replaces the old mapping in one step, so no address is ever unmapped), and closes the
    /// old one: whoever kept the old fd or mapping no longer shares anything with this process.
    /// False (the old memory stays) when the kernel refuses.
    /// </summary>
    public bool TryReplace(string name)
    {
        SafeFileDescriptor memfd;
        try
        {
            memfd = NewSealedMemfd(name, Size);
        }
        catch (IOException)
        {
            return false;
        }
        void* address = Interop.Sys.MMap(_base, (nuint)Size, Interop.Sys.PROT_READ | Interop.Sys.PROT_WRITE,
            Interop.Sys.MAP_SHARED | Interop.Sys.MAP_FIXED, memfd.Fd, 0);
        if (address != _base)
        {
            memfd.Dispose();
            return false;
        }
        Interlocked.Exchange(ref _memfd, memfd).Dispose();
        return true;
    }

    private static SafeFileDescriptor NewSealedMemfd(string name, ulong size)
    {
        var memfd = new SafeFileDescriptor(Interop.Sys.MemfdCreate(name, Interop.Sys.MFD_CLOEXEC | Interop.Sys.MFD_ALLOW_SEALING));
        if (memfd.IsInvalid)
        {
            throw new IOException($"memfd_create failed: errno {Marshal.GetLastPInvokeError()}");
        }
        if (Interop.Sys.Ftruncate(memfd.Fd, (long)size) != 0 ||
            Interop.Sys.Fcntl(memfd.Fd, Interop.Sys.F_ADD_SEALS, Interop.Sys.F_SEAL_SHRINK | Interop.Sys.F_SEAL_GROW | Interop.Sys.F_SEAL_SEAL) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            memfd.Dispose();
            throw new IOException($"sizing or sealing the memif region failed: errno {errno}");
        }
        return memfd;
    }

    /// <summary>
    /// Maps a region fd (own or the peer's); null when mmap fails (the fd stays the caller's).
    /// Takes ownership of the fd on success.
    /// </summary>
    public static MemifRegion? Map(SafeFileDescriptor memfd, ulong size)
    {
        void* address = MapShared(memfd.Fd, size);
        return address == Interop.Sys.MAP_FAILED ? null : new MemifRegion(memfd, (byte*)address, size);
    }

    private static void* MapShared(int fd, ulong size) =>
        Interop.Sys.MMap(null, (nuint)size, Interop.Sys.PROT_READ | Interop.Sys.PROT_WRITE, Interop.Sys.MAP_SHARED, fd, 0);

    public void Dispose()
    {
        byte* address = _base;
        _base = null;
        if (address != null)
        {
            Interop.Sys.MUnmap(address, (nuint)Size);
        }
        _memfd.Dispose();
    }
}
