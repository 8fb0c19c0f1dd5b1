using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Flow.Backends.Memif.Internal;
using Flow.Backends.Memif.Protocol;

namespace Flow.Backends.Memif;

/// <summary>
/// Receives the packets of one memif queue.
/// Output <c>out</c>: received Ethernet frames.
/// Drop reasons (counted, never packets): <c>invalid_descriptor</c> — a descriptor from the
/// peer pointed outside its region, was longer than its buffer, or chained too long;
/// <c>pool_empty</c> — no frame to receive into; <c>too_long</c> — a chain longer than
/// <see cref="MemifOptions.MaxFrameSize"/>.
/// Client role, zero-copy (the default): the ring's buffers are frames of Flow's pool and become
/// packets; fresh frames refill the ring. Client copy mode (<see cref="MemifOptions.ZeroCopy"/>
/// off), server role and chained frames: copied into private Flow frames, the shared buffer
/// is posted again.
/// While the link is down the source yields nothing; it never blocks.
/// </summary>
[Stage("memif_rx", "Receives packets from a memif queue (client: zero-copy; server: copy).")]
public sealed unsafe class MemifRx : SourceStage<MemifRx.Output, MemifRx.Reason>, IDisposable
{
    private readonly MemifInterface _interface;
    private readonly MemifQueue _queue;
    private readonly bool _ownsInterface;
    private readonly bool _isClient;
    private readonly bool _copyClient;
    private readonly bool _interrupt;
    private readonly ushort _inputPort;
    private readonly int _bufferCapacity;
    private readonly int _dataOffset;
    private readonly int _maxChain;
    private readonly int _maxFrame;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "received frames")]
        Out,
    }

    public enum Reason : byte
    {
        [DropReason("a descriptor from the peer was outside its region, longer than its buffer or chained too long", Severity.Error)]
        InvalidDescriptor,
        [DropReason("no free frame to receive into", Severity.Warning)]
        PoolEmpty,
        [DropReason("a chained frame longer than the configured maximum", Severity.Warning)]
        TooLong,
    }

    /// <summary>Creates the stage for queue <see cref="MemifOptions.Queue"/> of the shared interface these options name.</summary>
    public MemifRx(MemifOptions options)
        : this(MemifInterface.AcquireShared(options), options.Queue, ownsInterface: true)
    {
    }

    /// <summary>Creates the stage for <paramref name="queue"/> of an interface the caller owns.</summary>
    public MemifRx(MemifInterface memif, int queue)
        : this(memif, queue, ownsInterface: false)
    {
    }

    private MemifRx(MemifInterface memif, int queue, bool ownsInterface)
    {
        _interface = memif;
        _queue = memif.RxQueue(queue);
        _ownsInterface = ownsInterface;
        _isClient = memif.Role == MemifRole.Client;
        _copyClient = memif.IsCopyClient;
        _interrupt = memif.Options.Interrupt;
        _inputPort = memif.Options.InputPort ?? (ushort)queue;
        _bufferCapacity = memif.Options.BufferSize;
        _dataOffset = PacketPool.DefaultDataOffset;
        _maxChain = memif.Options.MaxChainLength;
        _maxFrame = memif.Options.MaxFrameSize;
    }

    public MemifInterface Interface => _interface;

    /// <summary>
    /// Interrupt mode: the ring's eventfd (readable when the peer signalled a burst), so a worker
    /// with the event idle policy sleeps until traffic comes. Polling mode: -1.
    /// </summary>
    public override int WakeupFd => !_interrupt ? -1 : _isClient ? _interface.ClientRxEventFd(_queue.Index) : _queue.EventFd;

    public MemifQueueStats Stats => _interface.GetRxStats(_queue.Index);

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        RingBinding? ring = _queue.Enter();
        if (ring is null)
        {
            return 0;
        }
        // finally: a throw between Enter and Exit would leave the queue busy forever, and the
        // control thread's Detach would spin on it (security review L5).
        try
        {
            int n = Receive(ring, packets, nexts);
            if (n == 0 && _interrupt)
            {
                // Clear the eventfd, then look once more: a burst published between the first look
                // and the clear is seen now; one published later signals again (the fd stays readable).
                Interop.Sys.ConsumeEventFd(ring.EventFd);
                n = Receive(ring, packets, nexts);
            }
            return n;
        }
        finally
        {
            _queue.Exit();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Receive(RingBinding ring, Span<Packet> packets, Span<Next> nexts) =>
        !_isClient ? ReceiveAsServer(ring, packets, nexts)
        : _copyClient ? ReceiveAsCopyClient(ring, packets, nexts)
        : ReceiveAsClient(ring, packets, nexts);

    /// <summary>
    /// Client, M2S ring: the server filled buffers we posted, up to <c>tail</c>. Take them as
    /// packets, then post fresh frames and publish <c>head</c>.
    /// </summary>
    private int ReceiveAsClient(RingBinding ring, Span<Packet> packets, Span<Next> nexts)
    {
        Packet[] slots = _queue.Slots;
        PacketPool pool = _interface.BufferPool!;
        byte* regionBase = _interface.BufferRegionBase;
        if (!ring.Primed)
        {
            ring.Primed = true;
            ring.RefillClient(slots, pool, regionBase, _dataOffset, _bufferCapacity);
        }
        // Acquire: the server's descriptor writes are visible once we see its tail.
        ushort tail = Volatile.Read(ref ring.Ring->Tail);
        ushort cursor = ring.Tail;
        int available = (ushort)(tail - cursor);
        if (available == 0)
        {
            return 0;
        }
        if (available > (ushort)(ring.Head - cursor))
        {
            _queue.RaiseFault($"M2S tail {tail} ran past the head {ring.Head} we posted");
            return 0;
        }
        int n = 0;
        long bytes = 0;
        long invalid = 0;
        long poolEmpty = 0;
        long tooLong = 0;
        long copies = 0;
        int mask = ring.Mask;
        // Locals, not fields: stores through frame pointers would make the JIT reload fields per packet.
        uint capacity = (uint)_bufferCapacity;
        int dataOffset = _dataOffset;
        ushort inputPort = _inputPort;
        Next received = To(Output.Out);
        while (available > 0 && n < packets.Length)
        {
            int slot = cursor & mask;
            MemifDescriptor d = ring.Descriptors[slot]; // one copy: the peer may rewrite it under us
            if (ring.SkippingChain)
            {
                ring.SkippingChain = (d.Flags & MemifConstants.DescriptorFlagNext) != 0;
                cursor++;
                available--;
                continue;
            }
            if ((d.Flags & MemifConstants.DescriptorFlagNext) == 0)
            {
                Packet packet = slots[slot];
                if (d.Length > capacity || d.Region != 1 || d.Offset != (uint)(packet.Frame + dataOffset - regionBase))
                {
                    invalid++; // the buffer stays in its slot and is posted again
                }
                else
                {
                    // The metadata is private (ADR 006); rewrite all of it so nothing an earlier
                    // use of the frame left survives.
                    pool.ResetReceived(packet, (int)d.Length, inputPort, PacketFlags.L2Valid);
                    // The peer just wrote these bytes on its core: start fetching them now, so the
                    // next stage's first look at the headers finds them (DPDK's l3fwd does the same).
                    if (Sse.IsSupported)
                    {
                        Sse.Prefetch0(packet.Frame + dataOffset);
                    }
                    packets[n] = packet;
                    nexts[n] = received;
                    slots[slot] = default;
                    bytes += d.Length;
                    n++;
                }
                cursor++;
                available--;
                continue;
            }
            int segments = ChainLength(ring, cursor, available);
            if (segments == 0)
            {
                break; // the chain is not complete yet
            }
            if (segments < 0)
            {
                invalid++;
                segments = -segments;
            }
            else
            {
                ChainCopy outcome = CopyChain(ring, new PostedFrames(slots, regionBase, dataOffset, capacity), cursor, segments, out Packet copy);
                if (outcome == ChainCopy.Copied)
                {
                    copies++;
                    packets[n] = copy;
                    nexts[n] = To(Output.Out);
                    bytes += copy.Length;
                    n++;
                }
                else
                {
                    Tally(outcome, ref invalid, ref tooLong, ref poolEmpty);
                }
            }
            cursor += (ushort)segments;
            available -= segments;
        }
        ring.Tail = cursor;
        // A short refill is no drop: the ring just holds fewer buffers until frames come back.
        ring.RefillClient(slots, pool, regionBase, _dataOffset, _bufferCapacity);
        CountAll(n, bytes, invalid, poolEmpty, tooLong, copies);
        return n;
    }

    /// <summary>
    /// Client copy mode, M2S ring: the server filled the buffers we posted, up to <c>tail</c>.
    /// Copy each into a private frame, then post the same buffers again and publish <c>head</c>.
    /// </summary>
    private int ReceiveAsCopyClient(RingBinding ring, Span<Packet> packets, Span<Next> nexts)
    {
        if (!ring.Primed)
        {
            ring.Primed = true;
            ring.RefillFixed();
        }
        // Acquire: the server's descriptor and buffer writes are visible once we see its tail.
        ushort tail = Volatile.Read(ref ring.Ring->Tail);
        ushort cursor = ring.Tail;
        int available = (ushort)(tail - cursor);
        if (available == 0)
        {
            return 0;
        }
        if (available > (ushort)(ring.Head - cursor))
        {
            _queue.RaiseFault($"M2S tail {tail} ran past the head {ring.Head} we posted");
            return 0;
        }
        int n = CopyOut(ring, new FixedBuffers((uint)_bufferCapacity), ref cursor, available, packets, nexts);
        ring.Tail = cursor;
        ring.RefillFixed();
        return n;
    }

    /// <summary>
    /// Server, S2M ring: the client filled buffers up to <c>head</c>. Validate each descriptor,
    /// copy it into a Flow frame, then publish <c>tail</c> to give the slots back.
    /// </summary>
    private int ReceiveAsServer(RingBinding ring, Span<Packet> packets, Span<Next> nexts)
    {
        ushort head = Volatile.Read(ref ring.Ring->Head); // acquire: descriptors and data are visible
        ushort cursor = ring.Tail;
        int available = (ushort)(head - cursor);
        if (available == 0)
        {
            return 0;
        }
        if (available > ring.Size)
        {
            _queue.RaiseFault($"S2M head {head} is more than a ring ahead of tail {cursor}");
            return 0;
        }
        int n = CopyOut(ring, default(PeerRegions), ref cursor, available, packets, nexts);
        ring.Tail = cursor;
        // Release: we are done reading the buffers before the client may reuse them.
        Volatile.Write(ref ring.Ring->Tail, cursor);
        return n;
    }

    /// <summary>
    /// Copies the filled buffers from <paramref name="cursor"/> on (at most
    /// <paramref name="available"/> descriptors) into private frames: the copy pool's, or the
    /// jumbo pool's for chains and buffers longer than a copy frame. Advances the cursor past
    /// what it consumed and counts everything.
    /// </summary>
    private int CopyOut<TSource>(RingBinding ring, TSource source, ref ushort cursor, int available, Span<Packet> packets, Span<Next> nexts)
        where TSource : struct, IBufferSource
    {
        PacketPool pool = _interface.CopyPool!;
        int want = Math.Min(available, packets.Length);
        int got = pool.AllocateBulk(packets.Slice(0, want));
        int n = 0;
        long bytes = 0;
        long invalid = 0;
        long poolEmpty = 0; // a short allocation leaves the rest on the ring for the next poll
        long tooLong = 0;
        int mask = ring.Mask;
        int capacity = pool.FrameSize - pool.DataOffset;
        while (available > 0 && n < got)
        {
            int slot = cursor & mask;
            MemifDescriptor d = ring.Descriptors[slot]; // one copy: the peer may rewrite it under us
            if (ring.SkippingChain)
            {
                ring.SkippingChain = (d.Flags & MemifConstants.DescriptorFlagNext) != 0;
                cursor++;
                available--;
                continue;
            }
            if ((d.Flags & MemifConstants.DescriptorFlagNext) == 0)
            {
                byte* buffer = source.Buffer(ring, slot, d);
                if (buffer == null)
                {
                    invalid++;
                }
                else if (d.Length <= (uint)capacity)
                {
                    Packet packet = packets[n];
                    packet.Meta.Length = (ushort)d.Length;
                    packet.Meta.InputPort = _inputPort;
                    packet.Meta.Flags = PacketFlags.L2Valid;
                    Buffer.MemoryCopy(buffer, packet.DataPointer, capacity, d.Length);
                    nexts[n] = To(Output.Out);
                    bytes += d.Length;
                    n++;
                }
                else
                {
                    // One buffer longer than a copy frame (a peer with a large bsize): through the jumbo pool.
                    ChainCopy outcome = CopyChain(ring, source, cursor, 1, out Packet big);
                    if (outcome == ChainCopy.Copied)
                    {
                        pool.Free(packets[n]);
                        packets[n] = big;
                        nexts[n] = To(Output.Out);
                        bytes += big.Length;
                        n++;
                    }
                    else
                    {
                        Tally(outcome, ref invalid, ref tooLong, ref poolEmpty);
                    }
                }
                cursor++;
                available--;
                continue;
            }
            int segments = ChainLength(ring, cursor, available);
            if (segments == 0)
            {
                break;
            }
            if (segments < 0)
            {
                invalid++;
                segments = -segments;
            }
            else
            {
                ChainCopy outcome = CopyChain(ring, source, cursor, segments, out Packet copy);
                if (outcome == ChainCopy.Copied)
                {
                    pool.Free(packets[n]);
                    packets[n] = copy;
                    nexts[n] = To(Output.Out);
                    bytes += copy.Length;
                    n++;
                }
                else
                {
                    Tally(outcome, ref invalid, ref tooLong, ref poolEmpty);
                }
            }
            cursor += (ushort)segments;
            available -= segments;
        }
        if (n < got)
        {
            pool.FreeBulk(packets.Slice(n, got - n));
        }
        CountAll(n, bytes, invalid, poolEmpty, tooLong, copies: n);
        return n;
    }

    /// <summary>
    /// Descriptors in the chain starting at <paramref name="cursor"/>: positive when complete,
    /// 0 when its end has not arrived yet, negative (segments to skip, the chain counted once as
    /// invalid) when longer than allowed. An over-long chain whose end has not arrived yet is
    /// skipped as far as it goes, and the rest of it when it comes (<see cref="RingBinding.SkippingChain"/>).
    /// </summary>
    private int ChainLength(RingBinding ring, ushort cursor, int available)
    {
        int limit = Math.Min(_maxChain, ring.Size);
        for (int i = 0; i < available; i++)
        {
            ushort flags = ring.Descriptors[(cursor + i) & ring.Mask].Flags;
            if ((flags & MemifConstants.DescriptorFlagNext) == 0)
            {
                return i < limit ? i + 1 : -(i + 1);
            }
        }
        if (available >= limit)
        {
            ring.SkippingChain = true;
            return -available;
        }
        return 0;
    }

    private static void Tally(ChainCopy outcome, ref long invalid, ref long tooLong, ref long poolEmpty)
    {
        switch (outcome)
        {
            case ChainCopy.InvalidDescriptor:
                invalid++;
                break;
            case ChainCopy.TooLong:
                tooLong++;
                break;
            case ChainCopy.PoolEmpty:
                poolEmpty++;
                break;
        }
    }

    /// <summary>
    /// Copies the chain of <paramref name="segments"/> descriptors at <paramref name="cursor"/>
    /// into one jumbo frame. Every descriptor is read once and its buffer checked by
    /// <paramref name="source"/> before a byte is copied; the copy uses those checked lengths,
    /// whatever the peer writes into the ring meanwhile.
    /// </summary>
    private ChainCopy CopyChain<TSource>(RingBinding ring, TSource source, ushort cursor, int segments, out Packet copy)
        where TSource : struct, IBufferSource
    {
        copy = default;
        PacketPool? jumbo = _interface.JumboPool;
        const int MaxSegments = 64;
        if (segments > MaxSegments)
        {
            return ChainCopy.InvalidDescriptor;
        }
        byte** buffers = stackalloc byte*[MaxSegments];
        uint* lengths = stackalloc uint[MaxSegments];
        long total = 0;
        for (int i = 0; i < segments; i++)
        {
            int slot = (cursor + i) & ring.Mask;
            MemifDescriptor d = ring.Descriptors[slot];
            buffers[i] = source.Buffer(ring, slot, d);
            if (buffers[i] == null)
            {
                return ChainCopy.InvalidDescriptor;
            }
            lengths[i] = d.Length;
            total += d.Length;
        }
        if (total > _maxFrame || jumbo is null || total > jumbo.FrameSize - jumbo.DataOffset)
        {
            return ChainCopy.TooLong;
        }
        if (!jumbo.TryAllocate(out copy))
        {
            return ChainCopy.PoolEmpty;
        }
        byte* destination = copy.DataPointer;
        long written = 0;
        for (int i = 0; i < segments; i++)
        {
            Buffer.MemoryCopy(buffers[i], destination + written, total - written, lengths[i]);
            written += lengths[i];
        }
        copy.Meta.Length = (ushort)written;
        copy.Meta.InputPort = _inputPort;
        copy.Meta.Flags = PacketFlags.L2Valid;
        return ChainCopy.Copied;
    }

    /// <summary>
    /// Where a filled descriptor's bytes are, checked against what this side knows: null when the
    /// descriptor does not name a buffer it may point at. A struct, so each receive path gets its
    /// own specialized copy of <see cref="CopyOut"/> and <see cref="CopyChain"/>.
    /// </summary>
    private interface IBufferSource
    {
        byte* Buffer(RingBinding ring, int slot, in MemifDescriptor d);
    }

    /// <summary>Zero-copy client: the frame posted in the slot, at the offset posted, no longer than its buffer.</summary>
    private readonly struct PostedFrames(Packet[] slots, byte* regionBase, int dataOffset, uint capacity) : IBufferSource
    {
        public byte* Buffer(RingBinding ring, int slot, in MemifDescriptor d)
        {
            byte* data = slots[slot].Frame + dataOffset;
            return d.Length > capacity || d.Region != 1 || d.Offset != (uint)(data - regionBase) ? null : data;
        }
    }

    /// <summary>Copy-mode client: the slot's own buffer, at the offset posted, no longer than it.</summary>
    private readonly struct FixedBuffers(uint capacity) : IBufferSource
    {
        public byte* Buffer(RingBinding ring, int slot, in MemifDescriptor d) =>
            d.Length > capacity || d.Region != 1 || d.Offset != ring.FixedOffset(slot) ? null : ring.FixedBuffer(slot);
    }

    /// <summary>Server: anywhere inside the client's regions.</summary>
    private readonly struct PeerRegions : IBufferSource
    {
        public byte* Buffer(RingBinding ring, int slot, in MemifDescriptor d) => ring.Resolve(d.Region, d.Offset, d.Length);
    }

    private void CountAll(int packets, long bytes, long invalid, long poolEmpty, long tooLong, long copies)
    {
        _queue.AddCounters(packets, bytes, 0, invalid, poolEmpty, copies);
        if (invalid != 0)
        {
            CountDrop(Reason.InvalidDescriptor, (int)invalid);
        }
        if (poolEmpty != 0)
        {
            CountDrop(Reason.PoolEmpty, (int)poolEmpty);
        }
        if (tooLong != 0)
        {
            CountDrop(Reason.TooLong, (int)tooLong);
        }
    }

    public void Dispose()
    {
        if (_ownsInterface)
        {
            _interface.ReleaseShared();
        }
    }
}
