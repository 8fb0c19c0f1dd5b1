using System.Runtime.Intrinsics.X86;
using Flow.Backends.Memif.Internal;
using Flow.Backends.Memif.Protocol;

namespace Flow.Backends.Memif;

/// <summary>Client role receive: the M2S ring, whose buffers this side owns and posts (zero-copy or copy mode).</summary>
public sealed unsafe partial class MemifRx
{
    /// <summary>
    /// Client, M2S ring: the server filled buffers we posted, up to <c>tail</c>. Take them as
    /// packets, then post fresh frames and publish <c>head</c>.
    /// </summary>
    private int ReceiveAsClient(RingBinding ring, Span<Packet> packets, Span<Next> nexts)
    {
        Packet[] slots = _queue.Slots;
        PacketPool pool = _interface.SharedPool!;
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
}
