using System.Diagnostics;
using System.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Flow.Internal;

namespace Flow;

/// <summary>
/// The runtime side of one placed stage: its input batch, where each port leads, the scratch
/// for nexts and drops, and its counters. Owned by one worker thread; counters are published
/// with Volatile writes once per batch for readers on other threads.
/// </summary>
internal sealed class StageNode
{
    /// <summary>
    /// Time one batch in this many per stage until <see cref="SteadyAfterTimedBatches"/> were
    /// timed: two clock reads and two JIT counter reads cost ~90 ns, which on every 32-packet
    /// batch would be ~3 ns/packet per stage — more than a light stage's work. The timed batch is
    /// the last of each 32, never batch 0: a stage's first batch runs the JIT over its whole path
    /// (measured: mac_learner's first 32-packet batch took 13.6 ms, of which 13.2 ms compiling 60
    /// methods, against 4–11 µs for later batches), and a few pps made that one sample the figure
    /// for minutes.
    /// </summary>
    private const int EarlyTimingMask = 31;

    /// <summary>
    /// Then one batch in 512: at one in 32 the sampling was 5 % of a five-stage pipeline's time in
    /// profiles (clock and JIT counter reads), 0.45 ns per packet; a busy stage still gets
    /// thousands of timed batches a second.
    /// </summary>
    private const int SteadyTimingMask = 511;

    private const int SteadyAfterTimedBatches = 64;

    /// <summary>
    /// Fewer timed batches than this give no cost per packet (null, shown as "–"): one
    /// preemption or cold-cache batch would be the figure.
    /// </summary>
    internal const int MinimumTimedBatches = 8;

    private readonly Next[] _nexts;
    private readonly PacketBatch _toFree;
    private readonly long[] _outByPort;
    private readonly long[] _dropsByReason;
    private readonly long[] _burstSizes = new long[BurstHistogram.Buckets];
    private StageNodeCounters _counters;

    // While this node's batch runs on through later stages of its worker (RunOn): the
    // WorkerIndex of the one running, for naming a stage that throws; -1 otherwise. An index,
    // not a reference: a reference field written per hop would cost a GC write barrier.
    private int _chainedTo = -1;

    // Captures and traces watching this stage; null when none (the one branch per batch they
    // cost then). Written only by the owning worker (through the control mailbox) or while no
    // worker runs, so a plain field.
    private BatchObserver[]? _observers;

    public StageNode(string name, Stage stage, int worker)
    {
        Name = name;
        Stage = stage;
        Worker = worker;
        Descriptor = stage.Descriptor;
        Input = new PacketBatch();
        _nexts = new Next[PacketBatch.DefaultCapacity];
        _toFree = new PacketBatch();
        Ports = new OutputLink[Descriptor.Ports.Count];
        _outByPort = new long[Descriptor.Ports.Count];
        _dropsByReason = new long[Descriptor.DropReasons.Count];
    }

    public string Name { get; }

    public Stage Stage { get; }

    public StageDescriptor Descriptor { get; }

    public int Worker { get; }

    /// <summary>Packets waiting for this stage; upstream stages on the same worker append here.</summary>
    public PacketBatch Input { get; }

    public OutputLink[] Ports { get; }

    /// <summary>Position in its worker's run order (topological over same-worker edges).</summary>
    public int Order { get; set; }

    public long In => Volatile.Read(ref _counters.In);

    public long Emitted => Volatile.Read(ref _counters.Emitted);

    public long Consumed => Volatile.Read(ref _counters.Consumed);

    public long Batches => Volatile.Read(ref _counters.Batches);

    public long OutOn(int port) => Volatile.Read(ref _outByPort[port]);

    public long DropsFor(int reason) => Volatile.Read(ref _dropsByReason[reason]);

    /// <summary>Polls per burst-size bucket (sources only; see <see cref="BurstHistogram"/>).</summary>
    public long[] BurstSizes()
    {
        var copy = new long[_burstSizes.Length];
        for (int i = 0; i < copy.Length; i++)
        {
            copy[i] = Volatile.Read(ref _burstSizes[i]);
        }
        return copy;
    }

    /// <summary>Mean processing time per packet over the timed batches; null until <see cref="MinimumTimedBatches"/> were timed.</summary>
    public double? NanosecondsPerPacket
    {
        get
        {
            long batches = Volatile.Read(ref _counters.SampledBatches);
            long packets = Volatile.Read(ref _counters.SampledPackets);
            return batches < MinimumTimedBatches || packets == 0 ? null : (double)Volatile.Read(ref _counters.SampledNanoseconds) / packets;
        }
    }

    /// <summary>Index of this node among its worker's non-source stages (set when the graph is assembled).</summary>
    public int WorkerIndex { get; set; } = -1;

    /// <summary>Processes everything waiting on the input; returns how many packets it took.</summary>
    public int RunPending()
    {
        int total = 0;
        PacketBatch input = Input;
        while (input.Count > 0)
        {
            int n = input.Count;
            ReadOnlySpan<Packet> packets = input.Packets;
            // Downstream stages on this worker cannot append to our input (no cycles within a worker),
            // so the input is still exactly the batch we process.
            RunOn(packets, ProcessBatch(packets), input);
            input.Clear();
            total += n;
        }
        return total;
    }

    /// <summary>Polls a source stage once; returns how many packets it produced.</summary>
    public int Poll(int burst)
    {
        Span<Packet> packets = Input.FreeSpace;
        if (packets.Length > burst)
        {
            packets = packets.Slice(0, burst);
        }
        Span<Next> nexts = _nexts.AsSpan(0, packets.Length);
        (long start, long jitted) = BeginTiming();
        int n = Stage.InvokePoll(packets, nexts);
        int bucket = BurstHistogram.BucketOf(n);
        Publish(ref _burstSizes[bucket], 1);
        if (n == 0)
        {
            return 0;
        }
        if (start != 0)
        {
            RecordTiming(start, jitted, n);
        }
        Publish(ref _counters.In, n);
        Publish(ref _counters.Batches, 1);
        if (_observers is { } observers)
        {
            ObserveExit(observers, packets.Slice(0, n), nexts.Slice(0, n));
        }
        // The packets are the start of Input (a source's scratch): as a batch they can move whole.
        Input.Commit(n);
        RunOn(Input.Packets, nexts.Slice(0, n), Input);
        Input.Clear();
        return n;
    }

    /// <summary>
    /// The stage that was running when this node's pass threw: this node, or a stage its batch
    /// had run on to (see <see cref="RunOn"/>).
    /// </summary>
    internal StageNode FaultedStage(StageNode[] workerNodes)
    {
        StageNode node = this;
        // Chains run forward in the worker's order, so following them ends.
        while (node._chainedTo > node.WorkerIndex && node._chainedTo < workerNodes.Length)
        {
            node = workerNodes[node._chainedTo];
        }
        return node;
    }

    /// <summary>
    /// Sends <paramref name="packets"/> (all of <paramref name="batch"/>, just processed by this
    /// stage into <paramref name="nexts"/>) on. While a stage sends the whole batch to one stage of
    /// this worker that has nothing queued and no other input, that stage runs on it at once, in place: no hand-over
    /// of the batch, no visit of the worker's loop, no second look at an input — what fusing
    /// the chain would give, decided per batch. The order is the one the worker's pass would
    /// have run, since a stage's successors on a worker come after it.
    /// </summary>
    private void RunOn(ReadOnlySpan<Packet> packets, Span<Next> nexts, PacketBatch batch)
    {
        StageNode node = this;
        while (true)
        {
            ushort first = nexts[0].Value;
            // Most batches go to one place (VPP/DPDK "speculation"): one vectorized compare of the
            // nexts, then the whole batch moves, instead of a branchy append per packet.
            if (!AllEqual(MemoryMarshal.Cast<Next, ushort>(nexts), first))
            {
                node.ScatterMixed(packets, nexts);
                break;
            }
            if (first < (uint)node.Ports.Length && node.Ports[first].InPlaceTarget is { } next && next.Input.Count == 0)
            {
                Publish(ref node._outByPort[first], packets.Length);
                _chainedTo = next.WorkerIndex;
                node = next;
                nexts = node.ProcessBatch(packets);
                continue;
            }
            node.ScatterUniform(packets, first, batch);
            break;
        }
        _chainedTo = -1;
    }

    /// <summary>Runs the stage on one batch and counts it; returns where each packet goes.</summary>
    private Span<Next> ProcessBatch(ReadOnlySpan<Packet> packets)
    {
        int n = packets.Length;
        Span<Next> nexts = _nexts.AsSpan(0, n);
        (long start, long jitted) = BeginTiming();
        BatchObserver[]? observers = _observers;
        if (observers is null)
        {
            Stage.InvokeProcess(packets, nexts);
        }
        else
        {
            ProcessObserved(observers, packets, nexts);
        }
        if (start != 0)
        {
            RecordTiming(start, jitted, n);
        }
        Publish(ref _counters.In, n);
        Publish(ref _counters.Batches, 1);
        return nexts;
    }

    /// <summary>
    /// For a batch that is one of the timed ones: the JIT's count of compiled methods, then the
    /// clock (so the count's read is outside the timed span); (0, 0) for the others.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private (long Start, long Jitted) BeginTiming()
    {
        long mask = _counters.SampledBatches < SteadyAfterTimedBatches ? EarlyTimingMask : SteadyTimingMask;
        if ((_counters.Batches & mask) != mask)
        {
            return (0, 0);
        }
        long jitted = JitInfo.GetCompiledMethodCount(currentThread: true);
        return (Stopwatch.GetTimestamp(), jitted);
    }

    /// <summary>
    /// A reload kept this node's stage, which <paramref name="old"/> ran until now: carries over
    /// the counters (by port name and drop reason), the observers and the packets still queued.
    /// Every worker is parked. Returns the packets that did not fit (freed): none, as both inputs
    /// have the same capacity.
    /// </summary>
    internal long TakeOver(StageNode old)
    {
        _counters = old._counters;
        Array.Copy(old._burstSizes, _burstSizes, _burstSizes.Length);
        for (int p = 0; p < Descriptor.Ports.Count; p++)
        {
            PortDescriptor? same = old.Descriptor.FindPort(Descriptor.Ports[p].Name);
            _outByPort[p] = same is null ? 0 : old._outByPort[same.Index];
        }
        for (int r = 0; r < _dropsByReason.Length && r < old._dropsByReason.Length; r++)
        {
            _dropsByReason[r] = old._dropsByReason[r];
        }
        _observers = old._observers;
        long lost = 0;
        foreach (Packet packet in old.Input.Packets)
        {
            if (!Input.TryAdd(packet))
            {
                PacketPools.Free(packet);
                lost++;
            }
        }
        old.Input.Clear();
        return lost;
    }

    /// <summary>Attaches an observer; call on the owning worker (its mailbox) or while no worker runs.</summary>
    internal void AddObserver(BatchObserver observer) => _observers = [.. _observers ?? [], observer];

    /// <summary>Detaches an observer; call on the owning worker (its mailbox) or while no worker runs.</summary>
    internal void RemoveObserver(BatchObserver observer)
    {
        BatchObserver[] rest = (_observers ?? []).Where(o => o != observer).ToArray();
        _observers = rest.Length == 0 ? null : rest;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ProcessObserved(BatchObserver[] observers, ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        foreach (BatchObserver observer in observers)
        {
            observer.OnEntry(packets);
        }
        Stage.InvokeProcess(packets, nexts);
        ObserveExit(observers, packets, nexts);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ObserveExit(BatchObserver[] observers, ReadOnlySpan<Packet> packets, ReadOnlySpan<Next> nexts)
    {
        foreach (BatchObserver observer in observers)
        {
            observer.OnExit(packets, nexts);
        }
    }

    /// <summary>
    /// True when every value is <paramref name="value"/>. Inlined vector compares of whole
    /// 32-byte blocks (the last one overlapping): the general IndexOfAnyExcept cost ~25 ns per
    /// 32-packet batch in profiles, a tenth of a light pipeline's time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool AllEqual(ReadOnlySpan<ushort> values, ushort value)
    {
        ref ushort start = ref MemoryMarshal.GetReference(values);
        int n = values.Length;
        if (Vector256.IsHardwareAccelerated && n >= Vector256<ushort>.Count)
        {
            Vector256<ushort> expected = Vector256.Create(value);
            int last = n - Vector256<ushort>.Count;
            for (int i = 0; i < last; i += Vector256<ushort>.Count)
            {
                if (Vector256.LoadUnsafe(ref start, (nuint)i) != expected)
                {
                    return false;
                }
            }
            return Vector256.LoadUnsafe(ref start, (nuint)last) == expected;
        }
        if (Vector128.IsHardwareAccelerated && n >= Vector128<ushort>.Count)
        {
            Vector128<ushort> expected = Vector128.Create(value);
            int last = n - Vector128<ushort>.Count;
            for (int i = 0; i < last; i += Vector128<ushort>.Count)
            {
                if (Vector128.LoadUnsafe(ref start, (nuint)i) != expected)
                {
                    return false;
                }
            }
            return Vector128.LoadUnsafe(ref start, (nuint)last) == expected;
        }
        for (int i = 0; i < n; i++)
        {
            if (Unsafe.Add(ref start, i) != value)
            {
                return false;
            }
        }
        return true;
    }

    private void ScatterUniform(ReadOnlySpan<Packet> packets, ushort next, PacketBatch batch)
    {
        if (next < (uint)Ports.Length)
        {
            OutputLink link = Ports[next];
            // The usual case on a chain of stages: the next stage's input is empty, so it takes
            // the batch's array itself and gives its empty one back (no copy of the handles).
            if (link.Buffer.TryTakeAll(batch))
            {
                Publish(ref _outByPort[next], packets.Length);
                return;
            }
            ReadOnlySpan<Packet> rest = packets;
            while (rest.Length > 0)
            {
                Span<Packet> room = link.Buffer.FreeSpace;
                if (room.Length == 0)
                {
                    link.Overflow();
                    continue;
                }
                int n = Math.Min(room.Length, rest.Length);
                rest.Slice(0, n).CopyTo(room);
                link.Buffer.Commit(n);
                rest = rest.Slice(n);
            }
            Publish(ref _outByPort[next], packets.Length);
        }
        else if (next == Next.ConsumedValue)
        {
            Publish(ref _counters.Consumed, packets.Length);
        }
        else
        {
            int reason = next & ~Next.DropBit;
            if ((next & Next.DropBit) == 0 || reason >= _dropsByReason.Length)
            {
                reason = Descriptor.InvalidNextReason;
            }
            Publish(ref _dropsByReason[reason], packets.Length);
            PacketPools.Free(packets);
        }
    }

    private void ScatterMixed(ReadOnlySpan<Packet> packets, ReadOnlySpan<Next> nexts)
    {
        OutputLink[] ports = Ports;
        int portCount = ports.Length;
        int reasonCount = _dropsByReason.Length;
        Span<int> outCounts = stackalloc int[portCount];
        outCounts.Clear();
        int consumed = 0;
        PacketBatch toFree = _toFree;
        for (int i = 0; i < packets.Length; i++)
        {
            ushort next = nexts[i].Value;
            Packet packet = packets[i];
            if (next < (uint)portCount)
            {
                OutputLink link = ports[next];
                if (!link.Buffer.TryAdd(packet))
                {
                    link.Overflow();
                    link.Buffer.Add(packet);
                }
                outCounts[next]++;
            }
            else if (next == Next.ConsumedValue)
            {
                consumed++;
            }
            else
            {
                int reason = next & ~Next.DropBit;
                if ((next & Next.DropBit) == 0 || reason >= reasonCount)
                {
                    reason = Descriptor.InvalidNextReason;
                }
                Publish(ref _dropsByReason[reason], 1);
                if (!toFree.TryAdd(packet))
                {
                    toFree.FreeAll();
                    toFree.Add(packet);
                }
            }
        }
        for (int port = 0; port < portCount; port++)
        {
            if (outCounts[port] != 0)
            {
                Publish(ref _outByPort[port], outCounts[port]);
            }
        }
        if (consumed != 0)
        {
            Publish(ref _counters.Consumed, consumed);
        }
        if (toFree.Count != 0)
        {
            toFree.FreeAll();
        }
    }

    /// <summary>An extra packet a stage made (a flood copy) sent out of a port now.</summary>
    public void Emit(Packet packet, int port)
    {
        if ((uint)port >= (uint)Ports.Length)
        {
            Publish(ref _dropsByReason[Descriptor.InvalidNextReason], 1);
            Publish(ref _counters.Emitted, 1);
            PacketPools.Free(packet);
            return;
        }
        if (_observers is { } observers)
        {
            foreach (BatchObserver observer in observers)
            {
                observer.OnEmit(packet, port);
            }
        }
        OutputLink link = Ports[port];
        if (!link.Buffer.TryAdd(packet))
        {
            link.Overflow();
            link.Buffer.Add(packet);
        }
        Publish(ref _counters.Emitted, 1);
        Publish(ref _outByPort[port], 1);
    }

    /// <summary>Counts as arrived-and-dropped something that never became a packet here (an rx error).</summary>
    public void CountDropWithoutPacket(int reason, int count)
    {
        if ((uint)reason >= (uint)_dropsByReason.Length)
        {
            reason = Descriptor.InvalidNextReason;
        }
        Publish(ref _counters.In, count);
        Publish(ref _dropsByReason[reason], count);
    }

    /// <summary>
    /// This stage threw on the packets in <paramref name="batch"/> (its own input, or the input of
    /// the stage whose batch ran on to it): they are dropped here as <c>stage_fault</c>.
    /// </summary>
    public void DropAsFault(PacketBatch batch)
    {
        int n = batch.Count;
        Publish(ref _counters.In, n);
        Publish(ref _dropsByReason[Descriptor.StageFaultReason], n);
        batch.FreeAll();
    }

    /// <summary>
    /// Adds a timed batch unless the JIT compiled on this thread meanwhile: a new code path's
    /// first run (a first flood, a first ARP miss) costs milliseconds once and is not the
    /// stage's processing cost.
    /// </summary>
    private void RecordTiming(long start, long jittedBefore, int packets)
    {
        long elapsed = Stopwatch.GetTimestamp() - start;
        if (JitInfo.GetCompiledMethodCount(currentThread: true) != jittedBefore)
        {
            return;
        }
        Publish(ref _counters.SampledNanoseconds, (long)(elapsed * s_nanosecondsPerTick));
        Publish(ref _counters.SampledPackets, packets);
        Publish(ref _counters.SampledBatches, 1);
    }

    private static readonly double s_nanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    /// <summary>Owner-thread increment published for readers on other threads (a plain store on x64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Publish(ref long counter, long delta) => Volatile.Write(ref counter, counter + delta);
}
