using Flow.Backends.Memif.Internal;
using Flow.Backends.Memif.Protocol;

namespace Flow.Backends.Memif;

/// <summary>Client role transmit: the S2M ring, whose buffers this side owns (zero-copy or copy mode).</summary>
public sealed unsafe partial class MemifTx
{
    /// <summary>
    /// Client, S2M ring: reclaim the slots the server returned (up to its <c>tail</c>), fill
    /// free slots, publish <c>head</c>.
    /// </summary>
    private void TransmitAsClient(RingBinding ring, ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        Packet[] slots = _queue.Slots;
        PacketPool pool = _interface.SharedPool!;
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
}
