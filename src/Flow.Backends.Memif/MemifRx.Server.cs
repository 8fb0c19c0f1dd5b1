using Flow.Backends.Memif.Internal;
using Flow.Backends.Memif.Protocol;

namespace Flow.Backends.Memif;

/// <summary>Server role receive: the S2M ring, filled in buffers of the client's regions.</summary>
public sealed unsafe partial class MemifRx
{
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

    /// <summary>Server: anywhere inside the client's regions.</summary>
    private readonly struct PeerRegions : IBufferSource
    {
        public byte* Buffer(RingBinding ring, int slot, in MemifDescriptor d) => ring.Resolve(d.Region, d.Offset, d.Length);
    }
}
