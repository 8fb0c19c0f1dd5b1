using Flow.Backends.Memif.Internal;
using Flow.Backends.Memif.Protocol;

namespace Flow.Backends.Memif;

/// <summary>Server role transmit: the M2S ring, into buffers the client posted.</summary>
public sealed unsafe partial class MemifTx
{
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
}
