using System.Runtime.CompilerServices;
using Flow.Internal;

namespace Flow;

/// <summary>
/// A port leading to a stage on another worker, through an SPSC ring. The producing worker
/// stages packets in <see cref="OutputLink.Buffer"/> and enqueues them in bulk at the end of
/// each pass; a full ring drops the rest with the ring's <c>ring_full</c> count (never blocks,
/// never loses a packet silently). With back-pressure, what does not fit stays staged and the
/// producing worker stops polling its sources until the ring has room; only a staging batch
/// that overflows even so drops (counted). The consuming worker drains the ring onto the
/// target's input.
/// </summary>
internal sealed class RingLink : OutputLink
{
    private RingLinkCounters _counters;

    public RingLink(string name, StageNode source, int sourcePort, StageNode target, int capacity, bool backPressure)
        : base(new PacketBatch())
    {
        Name = name;
        Source = source;
        SourcePort = sourcePort;
        Target = target;
        Ring = new SpscRing<Packet>(capacity);
        BackPressure = backPressure;
    }

    public string Name { get; }

    public StageNode Source { get; }

    public int SourcePort { get; }

    public StageNode Target { get; }

    public SpscRing<Packet> Ring { get; }

    public bool BackPressure { get; }

    /// <summary>True when staged packets are waiting for room on the ring (back-pressure).</summary>
    public bool IsCongested => Buffer.Count != 0;

    /// <summary>The consuming worker, to wake when it sleeps on its event.</summary>
    public Worker? Consumer { get; set; }

    public long Enqueued => Volatile.Read(ref _counters.Enqueued);

    public long Dequeued => Volatile.Read(ref _counters.Dequeued);

    public long Dropped => Volatile.Read(ref _counters.Dropped);

    public override void Overflow()
    {
        Flush();
        if (Buffer.IsFull)
        {
            // Back-pressure could not hold more: drop what is staged, counted, to make room.
            Publish(ref _counters.Dropped, Buffer.Count);
            Buffer.FreeAll();
        }
    }

    /// <summary>Producer: moves staged packets onto the ring; drops and counts what does not fit.</summary>
    public void Flush()
    {
        PacketBatch staged = Buffer;
        int n = staged.Count;
        if (n == 0)
        {
            return;
        }
        int sent = Ring.Enqueue(staged.Packets);
        Publish(ref _counters.Enqueued, sent);
        if (sent == n)
        {
            staged.Clear();
        }
        else if (BackPressure)
        {
            staged.RemoveFront(sent);
        }
        else
        {
            Publish(ref _counters.Dropped, n - sent);
            PacketPools.Free(staged.Packets.Slice(sent));
            staged.Clear();
        }
        if (sent != 0)
        {
            Consumer?.WakeIfSleeping();
        }
    }

    /// <summary>
    /// A reload kept this edge (same name, the target kept): takes over the packets on
    /// <paramref name="old"/> and staged for it, and its counters. Both workers are parked.
    /// Returns the packets that did not fit (freed and counted as dropped here).
    /// </summary>
    public long TakeOver(RingLink old)
    {
        _counters = old._counters;
        Span<Packet> scratch = new Packet[PacketBatch.DefaultCapacity];
        long lost = 0;
        int n;
        while ((n = old.Ring.Dequeue(scratch)) > 0)
        {
            int moved = Ring.Enqueue(scratch.Slice(0, n));
            if (moved < n)
            {
                PacketPools.Free(scratch.Slice(moved, n - moved));
                lost += n - moved;
            }
        }
        foreach (Packet packet in old.Buffer.Packets)
        {
            if (!Buffer.TryAdd(packet))
            {
                PacketPools.Free(packet);
                lost++;
            }
        }
        old.Buffer.Clear();
        Publish(ref _counters.Dropped, lost);
        return lost;
    }

    /// <summary>A reload removed this edge: frees what is on it and staged for it; returns how many.</summary>
    public long FreeContents()
    {
        long freed = Buffer.Count;
        Buffer.FreeAll();
        Span<Packet> scratch = new Packet[PacketBatch.DefaultCapacity];
        int n;
        while ((n = Ring.Dequeue(scratch)) > 0)
        {
            PacketPools.Free(scratch.Slice(0, n));
            freed += n;
        }
        return freed;
    }

    /// <summary>Consumer: moves ring contents onto the target's input; returns how many.</summary>
    public int Drain()
    {
        PacketBatch input = Target.Input;
        int n = Ring.Dequeue(input.FreeSpace);
        if (n != 0)
        {
            input.Commit(n);
            Publish(ref _counters.Dequeued, n);
        }
        return n;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Publish(ref long counter, long delta) => Volatile.Write(ref counter, counter + delta);
}
