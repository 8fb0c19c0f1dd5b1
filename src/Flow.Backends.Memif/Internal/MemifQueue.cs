using System.Runtime.CompilerServices;

namespace Flow.Backends.Memif.Internal;

/// <summary>
/// One direction of one queue pair: the ring binding the worker uses while the link is up,
/// the client's slot bookkeeping, and the counters.
/// </summary>
/// <remarks>
/// Handover between the control thread and the worker is a Dekker pair: the worker raises
/// <see cref="_busy"/> with a full fence (Interlocked) before it reads the binding; the
/// control thread swaps the binding out with a full fence and then waits for <c>_busy</c> to
/// fall. Either the worker sees no binding, or the control thread sees it busy and waits, so
/// a ring is never unmapped under the worker. Costs one locked instruction per burst.
/// </remarks>
internal sealed class MemifQueue
{
    private RingBinding? _binding;
    private int _busy;
    private string? _fault;

    // Counters: written by the worker only (plain adds into locals, one Volatile.Write per
    // burst), read by any thread.
    public long Packets;
    public long Bytes;
    public long RingFull;
    public long Invalid;
    public long PoolEmpty;
    public long Bursts;
    public long Copies;

    public MemifQueue(int index, bool isRx, int maxSlots)
    {
        Index = index;
        IsRx = isRx;
        Slots = new Packet[maxSlots];
    }

    public int Index { get; }

    public bool IsRx { get; }

    /// <summary>Client role: the packet (frame of the shared pool) each ring slot holds.</summary>
    public Packet[] Slots { get; }

    /// <summary>Set by the worker when the peer broke the ring protocol; the control thread disconnects.</summary>
    public string? Fault => Volatile.Read(ref _fault);

    /// <summary>Current binding's eventfd, or -1.</summary>
    public int EventFd => Volatile.Read(ref _binding)?.EventFd ?? -1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public RingBinding? Enter()
    {
        // Full fence: the busy store must be visible before the binding load (see remarks).
        Interlocked.Exchange(ref _busy, 1);
        RingBinding? binding = Volatile.Read(ref _binding);
        if (binding is null)
        {
            Volatile.Write(ref _busy, 0);
        }
        return binding;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Exit() => Volatile.Write(ref _busy, 0);

    /// <summary>Worker: the peer broke the protocol on this ring; stop using it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void RaiseFault(string reason)
    {
        Interlocked.CompareExchange(ref _fault, reason, null);
        // Withdraw the binding now so the worker stops touching the ring; the control thread
        // finds the fault on its next pass and tears the connection down.
        Volatile.Write(ref _binding, null);
    }

    public void Attach(RingBinding binding)
    {
        Volatile.Write(ref _fault, null);
        Volatile.Write(ref _binding, binding);
    }

    /// <summary>Control thread: withdraws the binding and waits until the worker is out of it.</summary>
    public RingBinding? Detach(RingBinding? known)
    {
        RingBinding? binding = Interlocked.Exchange(ref _binding, null) ?? known;
        SpinWait spin = default;
        while (Volatile.Read(ref _busy) != 0)
        {
            spin.SpinOnce();
        }
        return binding;
    }

    public void AddCounters(long packets, long bytes, long ringFull, long invalid, long poolEmpty, long copies)
    {
        if (packets != 0)
        {
            Volatile.Write(ref Packets, Packets + packets);
            Volatile.Write(ref Copies, Copies + copies);
            Volatile.Write(ref Bytes, Bytes + bytes);
            Volatile.Write(ref Bursts, Bursts + 1);
        }
        if ((ringFull | invalid | poolEmpty) != 0)
        {
            Volatile.Write(ref RingFull, RingFull + ringFull);
            Volatile.Write(ref Invalid, Invalid + invalid);
            Volatile.Write(ref PoolEmpty, PoolEmpty + poolEmpty);
        }
    }

    public MemifQueueStats Snapshot(long reconnects) => new(
        Volatile.Read(ref Packets), Volatile.Read(ref Bytes), Volatile.Read(ref RingFull),
        Volatile.Read(ref Invalid), Volatile.Read(ref PoolEmpty), reconnects, Volatile.Read(ref Bursts),
        Volatile.Read(ref Copies));
}
