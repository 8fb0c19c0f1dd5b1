using System.Runtime.InteropServices;

namespace Flow.Backends.Tap;

/// <summary>
/// Receives what the host kernel sends out of a TAP interface (its replies, its ARP requests,
/// anything routed to it): Flow's exception path back from the kernel. One read(2) per frame
/// from the non-blocking tap fd, which is also the stage's <see cref="WakeupFd"/>.
/// Output <c>out</c>: Ethernet frames from the kernel.
/// Drop reason <c>read_failed</c>: a read failed with something other than "nothing queued".
/// </summary>
/// <remarks>
/// Frames are read straight into pool frames kept in a small stash between polls, so an idle
/// poll costs one failed read and no allocation.
/// </remarks>
[Stage("tap_rx", "Receives frames the host kernel sends out of a TAP interface.")]
public sealed unsafe class TapRx : SourceStage<TapRx.Output, TapRx.Reason>, IDisposable
{
    private readonly TapDevice _device;
    private readonly string? _sharedKey;
    private readonly PacketPool _pool;
    private readonly Packet[] _stash = new Packet[256];
    private readonly ushort _inputPort;
    private int _stashCount;
    private long _received;
    private int _lastErrno;
    private int _disposed;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "frames from the kernel")]
        Out,
    }

    public enum Reason : byte
    {
        [DropReason("reading the tap fd failed", Severity.Error)]
        ReadFailed,
    }

    /// <summary>Opens (or shares with a <c>tap_tx</c> of the same interface and queue) the tap named in <paramref name="options"/>.</summary>
    public TapRx(TapOptions options)
        : this(TapDevices.Acquire(options, out string key), options, key)
    {
    }

    /// <summary>Receives from a device the caller opened and keeps owning.</summary>
    public TapRx(TapDevice device, TapOptions options)
        : this(device, options, sharedKey: null)
    {
    }

    private TapRx(TapDevice device, TapOptions options, string? sharedKey)
    {
        _device = device;
        _sharedKey = sharedKey;
        _inputPort = options.InputPort ?? (ushort)(options.MultiQueue ? options.Queue : 0);
        _pool = PacketPool.Create(options.PoolFrames, name: $"tap_rx {device.Name}");
        int mtu = options.Mtu == 0 ? 1500 : options.Mtu;
        if (mtu + 18 > _pool.FrameSize - _pool.DataOffset)
        {
            _pool.Dispose();
            if (sharedKey is not null)
            {
                TapDevices.Release(sharedKey, device);
            }
            ThrowHelper.ThrowArgument(nameof(options), $"MTU {mtu} plus an Ethernet header and tag does not fit a {_pool.FrameSize - _pool.DataOffset}-byte frame");
        }
    }

    public TapDevice Device => _device;

    public PacketPool Pool => _pool;

    public override int WakeupFd => _device.Fd;

    public long Received => Volatile.Read(ref _received);

    /// <summary>errno of the last failed read that was not EAGAIN (0 if none).</summary>
    public int LastErrno => Volatile.Read(ref _lastErrno);

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        int fd = _device.Fd;
        int n = 0;
        while (n < packets.Length)
        {
            if (_stashCount == 0)
            {
                _stashCount = _pool.AllocateBulk(_stash.AsSpan(0, Math.Min(_stash.Length, packets.Length)));
                if (_stashCount == 0)
                {
                    break;
                }
            }
            Packet packet = _stash[_stashCount - 1];
            nint read = Interop.Sys.Read(fd, packet.DataPointer, (nuint)packet.Capacity);
            if (read < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (!Interop.Errno.IsWouldBlock(errno))
                {
                    Volatile.Write(ref _lastErrno, errno);
                    CountDrop(Reason.ReadFailed);
                }
                break;
            }
            _stashCount--;
            ref PacketMeta meta = ref packet.Meta;
            meta.Length = (ushort)read;
            meta.InputPort = _inputPort;
            meta.Flags = PacketFlags.L2Valid;
            packets[n] = packet;
            nexts[n] = To(Output.Out);
            n++;
        }
        Volatile.Write(ref _received, _received + n);
        return n;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _pool.FreeBulk(_stash.AsSpan(0, _stashCount));
        _stashCount = 0;
        _pool.Dispose();
        if (_sharedKey is not null)
        {
            TapDevices.Release(_sharedKey, _device);
        }
    }
}
