using System.Runtime.CompilerServices;
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
public sealed unsafe partial class MemifRx : SourceStage<MemifRx.Output, MemifRx.Reason>, IDisposable
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
