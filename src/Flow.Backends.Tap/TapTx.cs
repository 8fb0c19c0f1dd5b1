using System.Runtime.InteropServices;

namespace Flow.Backends.Tap;

/// <summary>
/// Hands frames to the host kernel through a TAP interface, as if they had arrived on it:
/// one write(2) per frame. Packets are consumed (freed after the write).
/// Drop reasons: <c>queue_full</c> (the write would block), <c>write_failed</c> (any other
/// error, for example the interface is down: EIO).
/// </summary>
[Stage("tap_tx", "Hands frames to the host kernel through a TAP interface.", Transmits = true)]
public sealed unsafe class TapTx : Stage<NoOutput, TapTx.Reason>, IDisposable
{
    private readonly TapDevice _device;
    private readonly string? _sharedKey;
    private long _sent;
    private int _lastErrno;
    private int _disposed;

    public enum Reason : byte
    {
        [DropReason("the tap queue had no room", Severity.Warning)]
        QueueFull,
        [DropReason("writing to the tap fd failed", Severity.Error)]
        WriteFailed,
    }

    /// <summary>Opens (or shares with a <c>tap_rx</c> of the same interface and queue) the tap named in <paramref name="options"/>.</summary>
    public TapTx(TapOptions options)
    {
        _device = TapDevices.Acquire(options, out string key);
        _sharedKey = key;
    }

    /// <summary>Sends into a device the caller opened and keeps owning.</summary>
    public TapTx(TapDevice device) => _device = device;

    public TapDevice Device => _device;

    public long Sent => Volatile.Read(ref _sent);

    public int LastErrno => Volatile.Read(ref _lastErrno);

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        int fd = _device.Fd;
        int sent = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            Packet packet = packets[i];
            if (Interop.Sys.Write(fd, packet.DataPointer, (nuint)packet.Length) >= 0)
            {
                nexts[i] = Next.Consumed;
                PacketPools.Free(packet);
                sent++;
                continue;
            }
            int errno = Marshal.GetLastPInvokeError();
            Volatile.Write(ref _lastErrno, errno);
            nexts[i] = Interop.Errno.IsWouldBlock(errno) ? Drop(Reason.QueueFull) : Drop(Reason.WriteFailed);
        }
        Volatile.Write(ref _sent, _sent + sent);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _sharedKey is not null)
        {
            TapDevices.Release(_sharedKey, _device);
        }
    }
}
