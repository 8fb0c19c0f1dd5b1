
namespace Flow;

/// <summary>A non-blocking Linux eventfd: a counter another thread (or process) can signal and a poller can wait on.</summary>
public sealed unsafe class EventFd : IDisposable
{
    private int _fd;

    public EventFd()
    {
        _fd = Interop.Sys.EventFd(0, Interop.Sys.EFD_NONBLOCK | Interop.Sys.EFD_CLOEXEC);
        if (_fd < 0)
        {
            throw new IOException($"eventfd failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
    }

    public int Fd => _fd;

    /// <summary>Adds one to the counter, waking a poller.</summary>
    public void Signal()
    {
        ulong one = 1;
        Interop.Sys.Write(_fd, &one, sizeof(ulong));
    }

    /// <summary>Resets the counter; returns what it was (0 when nothing was signalled).</summary>
    public ulong Consume()
    {
        ulong value = 0;
        return Interop.Sys.Read(_fd, &value, sizeof(ulong)) == sizeof(ulong) ? value : 0;
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            Interop.Sys.Close(fd);
        }
    }
}
