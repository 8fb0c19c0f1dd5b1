using Flow.Backends.Memif.Internal;
using Flow.Backends.Memif.Protocol;

namespace Flow.Backends.Memif;

/// <summary>
/// Transmits packets on one memif queue; takes ownership of every packet (sent or dropped).
/// Drop reasons: <c>ring_full</c> — no free slot (the peer is not keeping up; memif has no
/// back-pressure, like DPDK's tx burst); <c>link_down</c> — no peer connected;
/// <c>pool_empty</c> — no shared frame to copy a foreign packet into (client);
/// <c>too_long</c> — longer than <see cref="MemifOptions.MaxFrameSize"/> or than the buffers
/// the peer posted can hold in one chain.
/// Client role: packets whose frames are in the shared pool go out without a copy (their
/// frames return to the pool when the server hands the slots back); others are copied,
/// chained over several buffers when longer than one. Client copy mode
/// (<see cref="MemifOptions.ZeroCopy"/> off): every packet is copied into the buffers its ring
/// slots own and freed at once. Server role: copied into the buffers the client posted. One eventfd signal per burst, only when the peer asked for interrupts.
/// </summary>
[Stage("memif_tx", "Transmits packets on a memif queue (client: zero-copy from the shared pool; server: copy).",
    Accepts = typeof(Carries.Ethernet))]
public sealed unsafe class MemifTx : Stage<NoOutput, MemifTx.Reason>, IDisposable
{
    private readonly MemifInterface _interface;
    private readonly MemifQueue _queue;
    private readonly bool _ownsInterface;
    private readonly bool _isClient;
    private readonly bool _copyClient;
    private readonly int _bufferCapacity;
    private readonly int _dataOffset;
    private readonly int _maxFrame;
    private readonly int _maxChain;

    public enum Reason : byte
    {
        [DropReason("the ring had no free slot", Severity.Warning)]
        RingFull,
        [DropReason("no peer connected", Severity.Info)]
        LinkDown,
        [DropReason("no free shared frame to copy the packet into", Severity.Warning)]
        PoolEmpty,
        [DropReason("the frame is longer than the maximum or than the peer's buffers can chain", Severity.Warning)]
        TooLong,
    }

    public MemifTx(MemifOptions options)
        : this(MemifInterface.AcquireShared(options), options.Queue, ownsInterface: true)
    {
    }

    public MemifTx(MemifInterface memif, int queue)
        : this(memif, queue, ownsInterface: false)
    {
    }

    private MemifTx(MemifInterface memif, int queue, bool ownsInterface)
    {
        _interface = memif;
        _queue = memif.TxQueue(queue);
        _ownsInterface = ownsInterface;
        _isClient = memif.Role == MemifRole.Client;
        _copyClient = memif.IsCopyClient;
        _bufferCapacity = memif.Options.BufferSize;
        _dataOffset = PacketPool.DefaultDataOffset;
        _maxFrame = memif.Options.MaxFrameSize;
        _maxChain = memif.Options.MaxChainLength;
    }

    public MemifInterface Interface => _interface;

    public MemifQueueStats Stats => _interface.GetTxStats(_queue.Index);

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        RingBinding? ring = _queue.Enter();
        if (ring is null)
        {
            nexts.Slice(0, packets.Length).Fill(Drop(Reason.LinkDown));
            return;
        }
        // finally: see MemifRx.Poll (security review L5).
        try
        {
            if (_copyClient)
            {
                TransmitAsCopyClient(ring, packets, nexts);
            }
            else if (_isClient)
            {
                TransmitAsClient(ring, packets, nexts);
            }
            else
            {
                TransmitAsServer(ring, packets, nexts);
            }
        }
        finally
        {
            _queue.Exit();
        }
    }

    /// <summary>
    /// Client, S2M ring: reclaim the slots the server returned (up to its <c>tail</c>), fill
    /// free slots, publish <c>head</c>.
    /// </summary>
    private void TransmitAsClient(RingBinding ring, ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        Packet[] slots = _queue.Slots;
        PacketPool pool = _interface.BufferPool!;
        byte* regionBase = _interface.BufferRegionBase;
        int mask = ring.Mask;

        ushort tail = Volatile.Read(ref ring.Ring->Tail); // acquire: the server is done with those buffers
        int returned = (ushort)(tail - ring.Tail);
        int inFlight = (ushort)(ring.Head - ring.Tail);
        if (returned > inFlight)
        {
            _queue.RaiseFault($"S2M tail {tail} ran past the head {ring.Head} we published");
            nexts.Slice(0, packets.Length).Fill(Drop(Reason.LinkDown));
            return;
        }
        if (returned > 0)
        {
            int start = ring.Tail & mask;
            int first = Math.Min(returned, ring.Size - start);
            pool.FreeBulk(new ReadOnlySpan<Packet>(slots, start, first));
            if (returned > first)
            {
                pool.FreeBulk(new ReadOnlySpan<Packet>(slots, 0, returned - first));
            }
            ring.Tail = tail;
        }

        ushort head = ring.Head;
        int free = ring.Size - (ushort)(head - ring.Tail);
        Span<Packet> copied = stackalloc Packet[packets.Length];
        Span<Packet> chainBuffers = stackalloc Packet[64];
        int copiedCount = 0;
        int sent = 0;
        long bytes = 0;
        long ringFull = 0;
        long poolEmpty = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            Packet packet = packets[i];
            int length = packet.Length;
            if (length <= _bufferCapacity && pool.Contains(packet.Frame))
            {
                if (free == 0)
                {
                    nexts[i] = Drop(Reason.RingFull);
                    ringFull++;
                    continue;
                }
                int slot = head & mask;
                MemifDescriptor.Write(ref ring.Descriptors[slot], 0, 1, (uint)length, (uint)(packet.DataPointer - regionBase));
                slots[slot] = packet;
                head++;
                free--;
                nexts[i] = Next.Consumed;
                sent++;
                bytes += length;
                continue;
            }
            // Copy path: a foreign frame, or longer than one buffer (chained).
            int segments = Math.Max(1, (length + _bufferCapacity - 1) / _bufferCapacity);
            if (length > _maxFrame || segments > _maxChain || segments > 64)
            {
                nexts[i] = Drop(Reason.TooLong);
                continue;
            }
            if (segments > free)
            {
                nexts[i] = Drop(Reason.RingFull);
                ringFull++;
                continue;
            }
            Span<Packet> buffers = chainBuffers.Slice(0, segments);
            int got = pool.AllocateBulk(buffers);
            if (got != segments)
            {
                pool.FreeBulk(buffers.Slice(0, got));
                poolEmpty++;
                nexts[i] = Drop(Reason.PoolEmpty);
                continue;
            }
            byte* source = packet.DataPointer;
            int offset = 0;
            for (int s = 0; s < segments; s++)
            {
                int chunk = Math.Min(_bufferCapacity, length - offset);
                Packet buffer = buffers[s];
                Buffer.MemoryCopy(source + offset, buffer.Frame + _dataOffset, _bufferCapacity, chunk);
                int slot = head & mask;
                MemifDescriptor.Write(ref ring.Descriptors[slot], s + 1 < segments ? MemifConstants.DescriptorFlagNext : (ushort)0, 1,
                    (uint)chunk, (uint)(buffer.Frame + _dataOffset - regionBase));
                slots[slot] = buffer;
                head++;
                offset += chunk;
            }
            free -= segments;
            copied[copiedCount++] = packet;
            nexts[i] = Next.Consumed;
            sent++;
            bytes += length;
        }
        if (head != ring.Head)
        {
            ring.Head = head;
            // Release: descriptors and buffer contents are written before the server sees head.
            Volatile.Write(ref ring.Ring->Head, head);
            ring.NotifyPeer();
        }
        if (copiedCount > 0)
        {
            PacketPools.Free(copied.Slice(0, copiedCount));
        }
        _queue.AddCounters(sent, bytes, ringFull, 0, poolEmpty, copiedCount);
    }

    /// <summary>
    /// Client copy mode, S2M ring: take back the slots the server returned (up to its
    /// <c>tail</c>; their buffers are ours again, nothing to free), copy each packet into the
    /// buffers of the next free slots, chained when longer than one, and publish <c>head</c>.
    /// </summary>
    private void TransmitAsCopyClient(RingBinding ring, ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        ushort tail = Volatile.Read(ref ring.Ring->Tail); // acquire: the server is done with those buffers
        int returned = (ushort)(tail - ring.Tail);
        if (returned > (ushort)(ring.Head - ring.Tail))
        {
            _queue.RaiseFault($"S2M tail {tail} ran past the head {ring.Head} we published");
            nexts.Slice(0, packets.Length).Fill(Drop(Reason.LinkDown));
            return;
        }
        ring.Tail = tail;
        ushort head = ring.Head;
        int free = ring.Size - (ushort)(head - tail);
        int mask = ring.Mask;
        int capacity = _bufferCapacity;
        int sent = 0;
        long bytes = 0;
        long ringFull = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            int length = packets[i].Length;
            int segments = Math.Max(1, (length + capacity - 1) / capacity);
            if (length > _maxFrame || segments > _maxChain)
            {
                nexts[i] = Drop(Reason.TooLong);
                continue;
            }
            if (segments > free)
            {
                nexts[i] = Drop(Reason.RingFull);
                ringFull++;
                continue;
            }
            byte* source = packets[i].DataPointer;
            int offset = 0;
            for (int s = 0; s < segments; s++)
            {
                int slot = head & mask;
                int chunk = Math.Min(capacity, length - offset);
                Buffer.MemoryCopy(source + offset, ring.FixedBuffer(slot), capacity, chunk);
                MemifDescriptor.Write(ref ring.Descriptors[slot], s + 1 < segments ? MemifConstants.DescriptorFlagNext : (ushort)0, 1,
                    (uint)chunk, ring.FixedOffset(slot));
                head++;
                offset += chunk;
            }
            free -= segments;
            nexts[i] = Next.Consumed;
            sent++;
            bytes += length;
        }
        if (head != ring.Head)
        {
            ring.Head = head;
            // Release: descriptors and buffer contents are written before the server sees head.
            Volatile.Write(ref ring.Ring->Head, head);
            ring.NotifyPeer();
        }
        // Every packet sent was copied: its frame goes back now.
        FreeConsumed(packets, nexts);
        _queue.AddCounters(sent, bytes, ringFull, 0, 0, sent);
    }

    /// <summary>
    /// Server, M2S ring: the client posted empty buffers up to <c>head</c>; copy packets into
    /// them (validated), set lengths and chain flags, publish <c>tail</c>.
    /// </summary>
    private void TransmitAsServer(RingBinding ring, ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        ushort head = Volatile.Read(ref ring.Ring->Head); // acquire: posted descriptors are visible
        ushort tail = ring.Tail;
        int free = (ushort)(head - tail);
        if (free > ring.Size)
        {
            _queue.RaiseFault($"M2S head {head} is more than a ring ahead of tail {tail}");
            nexts.Slice(0, packets.Length).Fill(Drop(Reason.LinkDown));
            return;
        }
        int mask = ring.Mask;
        int sent = 0;
        long bytes = 0;
        long ringFull = 0;
        long invalid = 0;
        int chainLimit = Math.Min(_maxChain, 64);
        byte** targets = stackalloc byte*[64];
        int* sizes = stackalloc int[64];
        for (int i = 0; i < packets.Length; i++)
        {
            Packet packet = packets[i];
            int length = packet.Length;
            if (length > _maxFrame)
            {
                nexts[i] = Drop(Reason.TooLong);
                continue;
            }
            // First pass: validate the posted buffers this packet needs, without writing anything.
            int used = 0;
            int room = 0;
            bool bad = false;
            while (room < length || used == 0)
            {
                if (used == free || used == chainLimit)
                {
                    break;
                }
                MemifDescriptor d = ring.Descriptors[(tail + used) & mask]; // one copy: the client may rewrite it
                byte* buffer = d.Length == 0 ? null : ring.Resolve(d.Region, d.Offset, d.Length);
                if (buffer == null)
                {
                    bad = true;
                    break;
                }
                targets[used] = buffer;
                sizes[used] = (int)Math.Min(d.Length, (uint)(_maxFrame + 1));
                room += sizes[used];
                used++;
            }
            if (bad)
            {
                // A buffer the client posted lies outside its regions: the ring is unusable.
                _queue.RaiseFault("a posted M2S descriptor lies outside the client's regions");
                invalid++;
                nexts.Slice(i, packets.Length - i).Fill(Drop(Reason.LinkDown));
                break;
            }
            if (room < length)
            {
                if (used == chainLimit)
                {
                    nexts[i] = Drop(Reason.TooLong);
                }
                else
                {
                    nexts[i] = Drop(Reason.RingFull);
                    ringFull++;
                }
                continue;
            }
            // Second pass: copy and publish lengths and chain flags.
            byte* source = packet.DataPointer;
            int offset = 0;
            for (int k = 0; k < used; k++)
            {
                int chunk = Math.Min(sizes[k], length - offset);
                Buffer.MemoryCopy(source + offset, targets[k], sizes[k], chunk);
                offset += chunk;
                ref MemifDescriptor d = ref ring.Descriptors[(tail + k) & mask];
                d.Length = (uint)chunk;
                d.Flags = k + 1 < used ? MemifConstants.DescriptorFlagNext : (ushort)0;
            }
            tail += (ushort)used;
            free -= used;
            bytes += length;
            sent++;
            nexts[i] = Next.Consumed;
        }
        if (tail != ring.Tail)
        {
            ring.Tail = tail;
            // Release: buffer contents and descriptor lengths are written before the client sees tail.
            Volatile.Write(ref ring.Ring->Tail, tail);
            ring.NotifyPeer();
        }
        // Every packet was copied or dropped: the consumed ones are freed here.
        FreeConsumed(packets, nexts);
        _queue.AddCounters(sent, bytes, ringFull, invalid, 0, sent);
    }

    private static void FreeConsumed(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        Span<Packet> done = stackalloc Packet[packets.Length];
        int count = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            if (nexts[i].IsConsumed)
            {
                done[count++] = packets[i];
            }
        }
        PacketPools.Free(done.Slice(0, count));
    }

    public void Dispose()
    {
        if (_ownsInterface)
        {
            _interface.ReleaseShared();
        }
    }
}
