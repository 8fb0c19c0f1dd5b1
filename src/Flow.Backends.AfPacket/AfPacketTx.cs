using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Flow.Backends.AfPacket;

/// <summary>
/// Transmits frames on a Linux interface through an AF_PACKET TPACKET_V2 mmap transmit ring:
/// each packet is copied into a free slot and marked for sending, and one sendto(2) per batch
/// tells the kernel to send every marked slot. Packets are consumed (freed after the copy).
/// Drop reasons: <c>ring_full</c> (no free slot: the kernel has not sent earlier frames yet),
/// <c>too_big</c> (frame longer than a slot).
/// </summary>
/// <remarks>
/// Memory ordering: a slot is ours when its <c>tp_status</c> reads TP_STATUS_AVAILABLE
/// (<see cref="Volatile.Read(ref readonly uint)"/>); we fill it and publish it with
/// <see cref="Volatile.Write(ref uint, uint)"/> of TP_STATUS_SEND_REQUEST, so the kernel never
/// sees the status before the frame bytes. A sendto that fails with EAGAIN/ENOBUFS leaves the
/// slots marked; the next batch's kick sends them.
/// </remarks>
[Stage("af_packet_tx", "Transmits frames on a Linux interface through a TPACKET_V2 mmap ring.", Transmits = true)]
public sealed unsafe class AfPacketTx : Stage<NoOutput, AfPacketTx.Reason>, IDisposable
{
    private readonly PacketSocket _socket;
    private readonly byte* _ring;
    private readonly int _frameSize;
    private readonly int _frameCount;
    private readonly int _maxData;
    private int _slot;
    private long _sent;
    private long _kickErrors;
    private int _lastKickErrno;
    private bool _kickPending;

    public enum Reason : byte
    {
        [DropReason("no free slot in the transmit ring", Severity.Warning)]
        RingFull,
        [DropReason("the frame is longer than a transmit slot", Severity.Warning)]
        TooBig,
    }

    public AfPacketTx(AfPacketOptions options)
    {
        if (options.TxFrameSize < 128 || (options.TxFrameSize & (options.TxFrameSize - 1)) != 0 || options.TxFrameSize > 65536)
        {
            ThrowHelper.ThrowArgument(nameof(options), $"TxFrameSize {options.TxFrameSize} must be a power of two from 128 to 65536");
        }
        if (options.TxFrames < 1)
        {
            ThrowHelper.ThrowArgument(nameof(options), $"TxFrames {options.TxFrames} must be at least 1");
        }
        Interface = options.Interface;
        int ifindex = InterfaceIndex.Of(options.Interface);
        _frameSize = options.TxFrameSize;
        int blockSize = Math.Max(_frameSize, 1 << 16);
        int framesPerBlock = blockSize / _frameSize;
        int blocks = (options.TxFrames + framesPerBlock - 1) / framesPerBlock;
        _frameCount = blocks * framesPerBlock;
        _maxData = _frameSize - Tpacket2Header.DataOffset;
        _socket = PacketSocket.Open();
        try
        {
            _socket.SetInt(Interop.Sys.PACKET_VERSION, Interop.Sys.TPACKET_V2, "setsockopt(PACKET_VERSION, TPACKET_V2)");
            if (options.QdiscBypass)
            {
                _socket.SetInt(Interop.Sys.PACKET_QDISC_BYPASS, 1, "setsockopt(PACKET_QDISC_BYPASS)");
            }
            // Zeroed explicitly: the request goes to the kernel.
            TpacketRequest3 request = default;
            request.BlockSize = (uint)blockSize;
            request.BlockCount = (uint)blocks;
            request.FrameSize = (uint)_frameSize;
            request.FrameCount = (uint)_frameCount;
            _socket.Set(Interop.Sys.PACKET_TX_RING, request, TpacketRequest3.V2Size, "setsockopt(PACKET_TX_RING)");
            _socket.MapRing((nuint)blockSize * (nuint)blocks);
            _ring = _socket.Ring;
            // Protocol 0: this socket only sends; it never gets a copy of received frames.
            _socket.Bind(ifindex, 0);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
    }

    public string Interface { get; }

    /// <summary>Frames placed in the ring and handed to the kernel.</summary>
    public long Sent => Volatile.Read(ref _sent);

    /// <summary>sendto kicks that failed with something other than "try again".</summary>
    public long KickErrors => Volatile.Read(ref _kickErrors);

    public int LastKickErrno => Volatile.Read(ref _lastKickErrno);

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        int queued = 0;
        int slot = _slot;
        int frameCount = _frameCount;
        for (int i = 0; i < packets.Length; i++)
        {
            Packet packet = packets[i];
            int length = packet.Length;
            if (length > _maxData)
            {
                nexts[i] = Drop(Reason.TooBig);
                continue;
            }
            Tpacket2Header* header = (Tpacket2Header*)(_ring + (nint)slot * _frameSize);
            // Acquire: the slot is reused only after the kernel has finished with it.
            if (Volatile.Read(ref header->Status) != TpacketStatus.Available)
            {
                nexts[i] = Drop(Reason.RingFull);
                continue;
            }
            Unsafe.CopyBlockUnaligned((byte*)header + Tpacket2Header.DataOffset, packet.DataPointer, (uint)length);
            header->Length = (uint)length;
            // Release: the bytes and the length are in place before the kernel may see the request.
            Volatile.Write(ref header->Status, TpacketStatus.SendRequest);
            slot = slot + 1 == frameCount ? 0 : slot + 1;
            nexts[i] = Next.Consumed;
            queued++;
        }
        _slot = slot;
        // Everything leaves the stage here: consumed packets were copied, dropped ones are freed by the runtime.
        FreeConsumed(packets, nexts);
        if (queued != 0)
        {
            Kick();
            Volatile.Write(ref _sent, _sent + queued);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FreeConsumed(ReadOnlySpan<Packet> packets, ReadOnlySpan<Next> nexts)
    {
        int start = 0;
        while (start < packets.Length)
        {
            if (!nexts[start].IsConsumed)
            {
                start++;
                continue;
            }
            int end = start + 1;
            while (end < packets.Length && nexts[end].IsConsumed)
            {
                end++;
            }
            PacketPools.Free(packets.Slice(start, end - start));
            start = end;
        }
    }

    private void Kick()
    {
        _kickPending = false;
        if (Interop.Sys.SendTo(_socket.Fd, null, 0, Interop.Sys.MSG_DONTWAIT, null, 0) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (Interop.Errno.IsTransient(errno))
            {
                // The slots stay marked; kick again from Tick if no batch comes to do it.
                _kickPending = true;
            }
            else
            {
                Volatile.Write(ref _kickErrors, _kickErrors + 1);
                Volatile.Write(ref _lastKickErrno, errno);
            }
        }
    }

    /// <summary>Slots still waiting for the kernel (racy snapshot; tests and benchmarks wait for 0).</summary>
    public int InFlight
    {
        get
        {
            int busy = 0;
            for (int i = 0; i < _frameCount; i++)
            {
                if (Volatile.Read(ref ((Tpacket2Header*)(_ring + (nint)i * _frameSize))->Status) != TpacketStatus.Available)
                {
                    busy++;
                }
            }
            return busy;
        }
    }

    public override void Tick(long nowNanoseconds)
    {
        if (_kickPending)
        {
            Kick();
        }
    }

    public override void OnStop() => Kick();

    public void Dispose() => _socket.Dispose();
}
