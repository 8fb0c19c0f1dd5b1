using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Flow.Backends.AfXdp.Internal;
using Flow.Backends.AfXdp.Protocol;
using Microsoft.Extensions.Logging;

namespace Flow.Backends.AfXdp;

/// <summary>
/// Receives frames from one queue of an interface through AF_XDP, without a copy: each frame is
/// a packet of the queue's UMEM pool, its data where the kernel wrote it.
/// Output <c>out</c>: received Ethernet frames.
/// Drop reason <c>invalid_descriptor</c>: the kernel handed back an address outside the UMEM
/// (a bug somewhere; the frame is lost, never delivered).
/// Per poll: refill the fill ring with free frames, take up to a burst of rx descriptors, and —
/// only when the ring is empty and the kernel set need-wakeup on the fill ring, or on every empty
/// poll with <see cref="AfXdpOptions.BusyPollBudget"/> — poke it with recvfrom. Blocking mode
/// exposes the socket as <see cref="WakeupFd"/>.
/// </summary>
[Stage("af_xdp_rx", "Receives frames from one AF_XDP queue (zero-copy into the UMEM pool).")]
public sealed unsafe class AfXdpRx : SourceStage<AfXdpRx.Output, AfXdpRx.Reason>, IDeviceCounters, IDisposable
{
    private readonly AfXdpPort _port;
    private readonly XskSocket _socket;
    private readonly ushort _inputPort;
    private readonly bool _blocking;
    private readonly bool _needWakeup;
    private readonly bool _busyPoll;
    private readonly int _refillBatch;
    private bool _starved;
    private int _disposed;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "frames received on the queue")]
        Out,
    }

    public enum Reason : byte
    {
        [DropReason("the kernel returned a descriptor outside the UMEM", Severity.Error)]
        InvalidDescriptor,
    }

    public AfXdpRx(AfXdpOptions options, ILogger<AfXdpPort>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _port = AfXdpPort.Acquire(options, logger);
        _socket = _port.Socket(options.Queue);
        _inputPort = options.InputPort ?? (ushort)options.Queue;
        _blocking = options.Blocking;
        _needWakeup = _socket.NeedWakeup;
        _busyPoll = _socket.BusyPoll;
        _refillBatch = Math.Max(1, Math.Min(Burst.Default, options.EffectiveFillRingSize / 4));
    }

    public AfXdpPort Port => _port;

    public int Queue => _socket.Queue;

    /// <summary>The UMEM pool received frames belong to.</summary>
    public PacketPool Pool => _socket.Pool;

    /// <summary>The socket in blocking mode (poll(2) on it wakes when frames arrive and wakes the driver under need-wakeup); -1 otherwise.</summary>
    public override int WakeupFd => _blocking ? _socket.Fd : -1;

    public AfXdpStatistics GetStatistics() => _port.GetStatistics(_socket.Queue);

    public string CounterDevice => _port.CounterDevice(_socket.Queue);

    public IReadOnlyList<KeyValuePair<string, long>> ReadDeviceCounters() => GetStatistics().ToCounters();

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        XskSocket socket = _socket;
        if (!_starved)
        {
            // A pool that ran dry (frames held downstream) is asked again on the next tick, not
            // on every poll, so its shortfall counter means something.
            socket.Refill(_refillBatch, Math.Max(packets.Length, _refillBatch), out _starved);
        }

        uint n = socket.Rx.Peek((uint)packets.Length, out uint index);
        if (n == 0)
        {
            // Busy polling: the syscall itself runs the NAPI poll, so it is made on every empty poll.
            if (!_blocking && (_busyPoll || (_needWakeup && socket.Fill.NeedsWakeup)))
            {
                Wakeup(socket);
            }
            return 0;
        }

        Umem umem = socket.Umem;
        int count = 0;
        long bytes = 0;
        int invalid = 0;
        ushort inputPort = _inputPort;
        ulong frameSize = (ulong)umem.FrameSize;
        for (uint i = 0; i < n; i++)
        {
            ref readonly XdpDesc desc = ref socket.Rx.Descriptor(index + i);
            ulong address = desc.Addr;
            uint length = desc.Len;
            // The kernel is trusted, but these checks are a load each: a driver bug becomes a
            // counted drop, not a packet reaching past its chunk or a frame owned twice.
            if (umem.ChunkOf(address, out ulong chunk) == null || address - chunk + length > frameSize || !umem.TryReturn(chunk))
            {
                invalid++;
                continue;
            }
            Packet packet = umem.PacketOf(chunk);
            PacketMeta* meta = packet.MetaAddress;
            meta->DataOffset = (ushort)(address - chunk);
            meta->Length = (ushort)length;
            meta->InputPort = inputPort;
            packets[count] = packet;
            nexts[count] = To(Output.Out);
            bytes += length;
            count++;
        }
        socket.Rx.Release();

        Volatile.Write(ref socket.RxPackets, socket.RxPackets + count);
        Volatile.Write(ref socket.RxBytes, socket.RxBytes + bytes);
        if (invalid != 0)
        {
            CountDrop(Reason.InvalidDescriptor, invalid);
        }
        return count;
    }

    /// <summary>Retries a refill the pool could not serve in full.</summary>
    public override void Tick(long nowNanoseconds) => _starved = false;

    /// <summary>Pokes the kernel to process the fill ring (need-wakeup); a non-blocking recvfrom with no buffer.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Wakeup(XskSocket socket)
    {
        Interop.Sys.RecvFrom(socket.Fd, null, 0, Interop.Sys.MSG_DONTWAIT, null, null);
        _ = Marshal.GetLastPInvokeError(); // EAGAIN is the normal answer: nothing to receive yet
        Volatile.Write(ref socket.RxWakeups, socket.RxWakeups + 1);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _port.Release();
        }
    }
}
