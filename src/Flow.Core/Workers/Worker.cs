using System.Diagnostics;
using System.Runtime.CompilerServices;
using Flow.Internal;

namespace Flow;

/// <summary>
/// A dedicated OS thread, pinned to a CPU when asked, that runs its stages to completion:
/// poll sources, drain inbound rings, run every stage with pending input in topological
/// order (direct calls), flush outbound rings, serve control messages, run timers, idle.
/// </summary>
/// <remarks>
/// Lifecycle: Running → (drain) Draining: sources are no longer polled, everything in
/// flight is processed → Stopping: the loop ends and stages get <see cref="Stage.OnStop"/>.
/// An exception from a stage ends the worker with a <see cref="StageFaultException"/> naming
/// the stage, and the graph stops: a worker never dies silently.
/// </remarks>
internal sealed class Worker
{
    private const int TickEveryPasses = 64;

    /// <summary>Busy passes between two clock reads while every pass finds work.</summary>
    private const int BusyPassesPerClockRead = 64;

    private FlowGraph _graph = null!;
    private readonly IFlowClock _clock;
    private readonly int _burst;
    private StageNode[] _sources = [];
    private StageNode[] _nodes = [];
    private RingLink[] _inbound = [];
    private RingLink[] _outbound = [];
    private Thread? _thread;
    private StageNode? _current;
    // RunPass's stage, as an index (a reference field written per stage would cost a GC write
    // barrier each time): into _sources when _runningSource, else into _nodes; -1 between stages.
    private int _running = -1;
    private bool _runningSource;
    private WorkerLoopCounters _loop;

    // Set by a reload while this worker is parked, read by it when it resumes.
    private StageNode[] _starting = [];
    private bool _repin;
    private bool _retired;
    private int _parkedGeneration;

    public Worker(int id, int? cpu, IdlePolicy idle, IFlowClock clock, int burst)
    {
        Id = id;
        Cpu = cpu;
        Idle = idle;
        _clock = clock;
        _burst = burst;
        Wakeup = new EventFd();
    }

    public int Id { get; }

    public int? Cpu { get; private set; }

    public IdlePolicy Idle { get; set; }

    public ControlQueue Control { get; } = new();

    /// <summary>Signalled to wake the worker from an event-mode sleep (rings, control, stop).</summary>
    public EventFd Wakeup { get; }

    public IReadOnlyList<StageNode> Sources => _sources;

    public IReadOnlyList<StageNode> Nodes => _nodes;

    public long Passes => Volatile.Read(ref _loop.Passes);

    public long BusyPasses => Volatile.Read(ref _loop.BusyPasses);

    /// <summary>
    /// Wall time spent in passes that found work, since the loop started. The clock is read once
    /// per run of consecutive busy passes (and every <see cref="BusyPassesPerClockRead"/> passes
    /// within a long run, so the figure stays live): a read per pass cost ~0.1 ns per packet on
    /// the pipeline benchmark. A run ends at the read after the first idle pass, which it counts;
    /// the waits between idle passes are never counted, so a worker that sleeps in poll(2)
    /// between packets is as idle as it is.
    /// </summary>
    public long BusyNanoseconds => (long)(Volatile.Read(ref _loop.BusyTicks) * s_nanosecondsPerTick);

    /// <summary>Wall time since the loop started (until it stopped); 0 when the loop never ran (benchmarks call <see cref="RunPass"/>).</summary>
    public long ElapsedNanoseconds
    {
        get
        {
            long started = Volatile.Read(ref _loop.StartedTimestamp);
            if (started == 0)
            {
                return 0;
            }
            long stopped = Volatile.Read(ref _loop.StoppedTimestamp);
            return (long)(((stopped != 0 ? stopped : Stopwatch.GetTimestamp()) - started) * s_nanosecondsPerTick);
        }
    }

    /// <summary>Asleep in poll(2) between passes (event idle policy): not in the middle of one.</summary>
    public bool IsSleeping => Volatile.Read(ref _loop.Sleeping) != 0;

    /// <summary>Consecutive passes that found no work (drain detection reads it).</summary>
    public long IdleStreak => Volatile.Read(ref _loop.IdleStreak);

    public bool IsAlive => _thread is { IsAlive: true };

    /// <summary>The reload park this worker waits in at the top of its loop (0: none yet); it stays set after the worker goes on.</summary>
    public int ParkedGeneration => Volatile.Read(ref _parkedGeneration);

    /// <summary>The kernel's id of the worker thread once it runs (0 before): for /proc/self/task/&lt;tid&gt;/schedstat.</summary>
    public int OsThreadId { get; private set; }

    /// <summary>Set when pinning failed; the worker runs unpinned and the graph reports it.</summary>
    public string? PinningProblem { get; private set; }

    public void Assign(StageNode[] sources, StageNode[] nodesInOrder, RingLink[] inbound, RingLink[] outbound)
    {
        _sources = sources;
        _nodes = nodesInOrder;
        for (int i = 0; i < nodesInOrder.Length; i++)
        {
            nodesInOrder[i].WorkerIndex = i;
        }
        _inbound = inbound;
        _outbound = outbound;
    }

    /// <summary>
    /// A reload, while this worker is parked: run what <paramref name="fresh"/> (the same worker
    /// of the next version) was given, with its idle policy and CPU, and start
    /// <paramref name="starting"/> (stages new to this worker's thread) when resumed.
    /// </summary>
    public void Adopt(Worker fresh, StageNode[] starting)
    {
        Assign(fresh._sources, fresh._nodes, fresh._inbound, fresh._outbound);
        Idle = fresh.Idle;
        if (fresh.Cpu != Cpu)
        {
            Cpu = fresh.Cpu;
            _repin = true;
        }
        _starting = starting;
    }

    /// <summary>A reload removed this worker: it ends when resumed (its stages were handed over or stopped).</summary>
    public void Retire()
    {
        Assign([], [], [], []);
        _retired = true;
    }

    /// <summary>Called once by the graph that owns the worker.</summary>
    public void AttachTo(FlowGraph graph) => _graph = graph;

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = $"flow-worker-{Id}" };
        _thread.UnsafeStart();
    }

    public void Join() => _thread?.Join();

    /// <summary>Producer side of a ring or control post: wakes the worker if it sleeps in poll(2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WakeIfSleeping()
    {
        if (Idle.Kind != IdleKind.Event)
        {
            return;
        }
        // StoreLoad: our ring index store must be visible before we read the sleeping flag;
        // the sleeper stores the flag before it re-reads the rings (Dekker).
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _loop.Sleeping) != 0)
        {
            Wakeup.Signal();
        }
    }

    private void Run()
    {
        PacketPool.EnableThreadCaches();
        OsThreadId = OsThread.CurrentId;
        if (Cpu is int cpu)
        {
            int errno = OsThread.Pin(cpu);
            if (errno != 0)
            {
                PinningProblem = $"worker {Id}: sched_setaffinity to cpu {cpu} failed with errno {errno}; running unpinned";
            }
        }
        try
        {
            foreach (StageNode node in _sources)
            {
                _current = node;
                node.Stage.OnStart();
            }
            foreach (StageNode node in _nodes)
            {
                _current = node;
                node.Stage.OnStart();
            }
            _current = null;
            Loop();
            foreach (StageNode node in _sources)
            {
                _current = node;
                node.Stage.OnStop();
            }
            foreach (StageNode node in _nodes)
            {
                _current = node;
                node.Stage.OnStop();
            }
        }
        catch (Exception e)
        {
            StageNode? head = _current ?? (_running < 0 ? null : _runningSource ? _sources[_running] : _nodes[_running]);
            StageNode? culprit = head?.FaultedStage(_nodes);
            culprit?.DropAsFault(head!.Input);
            _graph.ReportFault(new StageFaultException(culprit?.Name ?? $"worker {Id}", Id, e));
        }
        finally
        {
            PacketPool.ReleaseThreadCaches();
            Control.Close(new InvalidOperationException($"worker {Id} has stopped"));
            _graph.WorkerExited(this);
        }
    }

    private void Loop()
    {
        long spins = 0;
        long busyRun = 0;
        bool draining = false;
        long runStart = Stopwatch.GetTimestamp();
        Volatile.Write(ref _loop.StartedTimestamp, runStart);
        try
        {
            while (true)
            {
                GraphState state = _graph.State;
                if (state == GraphState.Stopping)
                {
                    return;
                }
                if (state == GraphState.Draining && !draining)
                {
                    draining = true;
                    NotifyDraining();
                }
                int phase = _graph.ReloadPhase;
                if (phase == FlowGraph.ParkingForReload)
                {
                    if (!ParkForReload())
                    {
                        return;
                    }
                    continue;
                }
                int work = RunPass(pollSources: state == GraphState.Running && phase == FlowGraph.NotReloading);
                if (work != 0)
                {
                    spins = 0;
                    if (++busyRun == BusyPassesPerClockRead)
                    {
                        EndBusyRun(ref runStart, ref busyRun);
                    }
                    continue;
                }
                if (busyRun != 0)
                {
                    EndBusyRun(ref runStart, ref busyRun);
                }
                spins++;
                WaitForWork(spins);
                runStart = Stopwatch.GetTimestamp();
            }
        }
        finally
        {
            if (busyRun != 0)
            {
                EndBusyRun(ref runStart, ref busyRun);
            }
            Volatile.Write(ref _loop.StoppedTimestamp, Stopwatch.GetTimestamp());
        }
    }

    /// <summary>
    /// Waits while a reload rewires the graph, then takes up what it was given: a new CPU, new
    /// stages to start. False when the reload retired this worker.
    /// </summary>
    private bool ParkForReload()
    {
        int generation = _graph.ParkGeneration;
        Volatile.Write(ref _parkedGeneration, generation);
        _graph.WaitForResume(generation);
        if (_retired)
        {
            return false;
        }
        if (_repin && Cpu is int cpu)
        {
            _repin = false;
            int errno = OsThread.Pin(cpu);
            PinningProblem = errno == 0 ? null : $"worker {Id}: sched_setaffinity to cpu {cpu} failed with errno {errno}; running where it was";
        }
        StageNode[] starting = _starting;
        _starting = [];
        foreach (StageNode node in starting)
        {
            _current = node;
            node.Stage.OnStart();
        }
        _current = null;
        return true;
    }

    /// <summary>Adds the time since <paramref name="runStart"/> to the busy time and starts a new run there.</summary>
    private void EndBusyRun(ref long runStart, ref long busyRun)
    {
        long now = Stopwatch.GetTimestamp();
        Volatile.Write(ref _loop.BusyTicks, _loop.BusyTicks + (now - runStart));
        runStart = now;
        busyRun = 0;
    }

    /// <summary>
    /// One pass of the duty cycle; returns how much work it found (packets and control messages).
    /// Benchmarks call it directly on one thread to measure the runtime without scheduling noise.
    /// </summary>
    internal int RunPass(bool pollSources)
    {
        int work = 0;
        if (pollSources && !IsCongested())
        {
            StageNode[] sources = _sources;
            _runningSource = true;
            for (int i = 0; i < sources.Length; i++)
            {
                _running = i;
                work += sources[i].Poll(_burst);
            }
            _runningSource = false;
            _running = -1;
        }
        RingLink[] inbound = _inbound;
        for (int i = 0; i < inbound.Length; i++)
        {
            work += inbound[i].Drain();
        }
        StageNode[] nodes = _nodes;
        for (int i = 0; i < nodes.Length; i++)
        {
            if (nodes[i].Input.Count != 0)
            {
                _running = i;
                work += nodes[i].RunPending();
            }
        }
        _running = -1;
        RingLink[] outbound = _outbound;
        for (int i = 0; i < outbound.Length; i++)
        {
            outbound[i].Flush();
        }
        if (Control.HasPending)
        {
            work += Control.Drain();
        }
        long pass = _loop.Passes + 1;
        Volatile.Write(ref _loop.Passes, pass);
        if (pass % TickEveryPasses == 0)
        {
            RunTimers();
        }
        if (work != 0)
        {
            Volatile.Write(ref _loop.BusyPasses, _loop.BusyPasses + 1);
            Volatile.Write(ref _loop.IdleStreak, 0);
        }
        else
        {
            Volatile.Write(ref _loop.IdleStreak, _loop.IdleStreak + 1);
        }
        return work;
    }

    /// <summary>A back-pressured ring out of this worker is full: take no new packets in until it drains.</summary>
    private bool IsCongested()
    {
        RingLink[] outbound = _outbound;
        for (int i = 0; i < outbound.Length; i++)
        {
            if (outbound[i].IsCongested)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Stage.OnDraining for every stage of this worker; what they emit is processed by the passes that follow.</summary>
    private void NotifyDraining()
    {
        foreach (StageNode node in _sources)
        {
            _current = node;
            node.Stage.OnDraining();
        }
        foreach (StageNode node in _nodes)
        {
            _current = node;
            node.Stage.OnDraining();
        }
        _current = null;
    }

    private void RunTimers()
    {
        long now = _clock.NowNanoseconds;
        foreach (StageNode node in _sources)
        {
            _current = node;
            node.Stage.Tick(now);
        }
        foreach (StageNode node in _nodes)
        {
            _current = node;
            node.Stage.Tick(now);
        }
        _current = null;
    }

    private void WaitForWork(long spins)
    {
        IdlePolicy idle = Idle;
        switch (idle.Kind)
        {
            case IdleKind.BusyPoll:
                Thread.SpinWait(4);
                break;
            case IdleKind.SpinThenSleep:
                if (spins < idle.Spins)
                {
                    Thread.SpinWait(4);
                }
                else if (idle.Sleep <= TimeSpan.Zero)
                {
                    Thread.Yield();
                }
                else
                {
                    Thread.Sleep(idle.Sleep);
                }
                break;
            case IdleKind.Event:
                SleepOnEvents(idle.Sleep);
                RunTimers();
                break;
        }
    }

    private unsafe void SleepOnEvents(TimeSpan timeout)
    {
        Volatile.Write(ref _loop.Sleeping, 1);
        // StoreLoad against producers' WakeIfSleeping: the flag is visible before we look at the rings again.
        Interlocked.MemoryBarrier();
        if (HasInboundWork() || Control.HasPending || _graph.State != GraphState.Running && _graph.State != GraphState.Draining ||
            _graph.ReloadPhase == FlowGraph.ParkingForReload)
        {
            Volatile.Write(ref _loop.Sleeping, 0);
            return;
        }
        int count = 1 + _sources.Length;
        Interop.Sys.PollFd* fds = stackalloc Interop.Sys.PollFd[count];
        int used = 0;
        fds[used++] = new Interop.Sys.PollFd { Fd = Wakeup.Fd, Events = Interop.Sys.POLLIN };
        foreach (StageNode source in _sources)
        {
            int fd = source.Stage.WakeupFd;
            if (fd >= 0)
            {
                fds[used++] = new Interop.Sys.PollFd { Fd = fd, Events = Interop.Sys.POLLIN };
            }
        }
        int timeoutMs = (int)Math.Clamp(timeout.TotalMilliseconds, 1, int.MaxValue);
        Interop.Sys.Poll(fds, (nuint)used, timeoutMs);
        Volatile.Write(ref _loop.Sleeping, 0);
        Wakeup.Consume();
    }

    private static readonly double s_nanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    private bool HasInboundWork()
    {
        foreach (RingLink ring in _inbound)
        {
            if (!ring.Ring.IsEmpty)
            {
                return true;
            }
        }
        return false;
    }
}
