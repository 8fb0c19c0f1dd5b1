
namespace Flow;

/// <summary>A non-blocking Linux eventfd: a counter another thread (or process) can signal and a poller can wait on.</summary>
public sealed class EventFd : IDisposable
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
    public void Signal() => Interop.Sys.SignalEventFd(_fd);

    /// <summary>Resets the counter; returns what it was (0 when nothing was signalled).</summary>
    public ulong Consume() => Interop.Sys.ConsumeEventFd(_fd);

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            Interop.Sys.Close(fd);
        }
    }
}
