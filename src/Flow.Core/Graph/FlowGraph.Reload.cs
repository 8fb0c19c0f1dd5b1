using System.Diagnostics;
using Flow.Internal;

namespace Flow;

public sealed partial class FlowGraph
{
    /// <summary>No reload is under way: workers run their passes as usual.</summary>
    internal const int NotReloading = 0;

    /// <summary>A reload is about to switch: sources are not polled, so what is in flight drains out.</summary>
    internal const int QuietingForReload = 1;

    /// <summary>Workers park at the top of their loop until the switch is done.</summary>
    internal const int ParkingForReload = 2;

    private static readonly TimeSpan s_quietLimit = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_parkLimit = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _oneReload = new(1, 1);
    private readonly List<Worker> _retiredWorkers = [];
    private readonly object _parking = new(); // Monitor.Wait/PulseAll: a parked worker sleeps, it does not spin
    private int _reloadPhase;

    // Each park has a number: a worker says which park it waits in, and waits until that one's
    // switch is done. A worker still waking from the previous park is not taken for parked in
    // this one, and a resume it slept through still releases it.
    private int _parkGeneration;
    private int _resumedGeneration;

    /// <summary>Raised after a reload switched the graph (stats, control commands and the like look at the new version from then on).</summary>
    public event EventHandler<GraphReload>? Reloaded;

    /// <summary>The running graph this one was built to replace (<see cref="GraphBuilder.Replacing"/>); null for a graph of its own.</summary>
    internal FlowGraph? Replaces { get; init; }

    /// <summary>Read by every worker once per pass.</summary>
    internal int ReloadPhase => Volatile.Read(ref _reloadPhase);

    /// <summary>The park a worker that sees <see cref="ParkingForReload"/> waits in.</summary>
    internal int ParkGeneration => Volatile.Read(ref _parkGeneration);

    internal bool Owns(StageNode node) => _byName.TryGetValue(node.Name, out StageNode? mine) && mine == node;

    /// <summary>
    /// Switches this running graph to <paramref name="next"/>, built with
    /// <see cref="GraphBuilder.Replacing"/> from the stages to keep (this graph's own instances)
    /// and new ones. Sources stop being polled and what is in flight drains out (at most 100 ms),
    /// then every worker parks at a batch boundary and the graph is rewired: kept stages keep
    /// their state, counters, observers and any packet still queued for them; stages of this
    /// graph that <paramref name="next"/> does not hold are stopped and disposed; new stages start
    /// on their workers; rings between kept stages keep their contents; workers are added,
    /// retired, re-pinned or given a new idle policy as <paramref name="next"/> says. The
    /// <see cref="FlowGraph"/> object stays the same, so whoever holds it (stats, metrics, the
    /// control socket) goes on with the new version.
    /// </summary>
    /// <param name="next">The graph to switch to; it must not have been started.</param>
    /// <param name="reconfigure">Options for kept stages that take a changed config live (<see cref="IReconfigurableStage"/>), by stage name.</param>
    /// <param name="cancellationToken">Cancels the wait for a reload already under way.</param>
    /// <returns>What changed, the packets that had nowhere to go, and how long sources were paused.</returns>
    public async Task<GraphReload> ReplaceAsync(FlowGraph next, IReadOnlyDictionary<string, object>? reconfigure = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(next);
        if (next.Replaces != this)
        {
            throw new ArgumentException("the next graph was not built to replace this one (GraphBuilder.Replacing(this))", nameof(next));
        }
        reconfigure ??= new Dictionary<string, object>();
        await _oneReload.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (State != GraphState.Running)
            {
                throw new InvalidOperationException($"only a running graph can be reloaded (this one is {State})");
            }
            foreach ((string name, object _) in reconfigure)
            {
                if (!_byName.TryGetValue(name, out StageNode? node) || node.Stage is not IReconfigurableStage ||
                    !next._byName.TryGetValue(name, out StageNode? kept) || kept.Stage != node.Stage)
                {
                    throw new ArgumentException($"stage '{name}' is not a kept stage that can be reconfigured", nameof(reconfigure));
                }
            }
            var clock = Stopwatch.StartNew();
            await QuietAsync().ConfigureAwait(false);
            GraphReload report;
            lock (_lifecycle)
            {
                if (!ParkWorkers())
                {
                    Resume([]);
                    throw new InvalidOperationException($"a worker did not reach a batch boundary within {s_parkLimit.TotalSeconds} s (a stage is stuck); nothing was changed");
                }
                report = Switch(next, reconfigure, out List<Worker> added);
                Resume(added);
            }
            report = report with { Pause = clock.Elapsed };
            Reloaded?.Invoke(this, report);
            return report;
        }
        finally
        {
            _oneReload.Release();
        }
    }

    /// <summary>Stops polling sources and waits (bounded) until no worker has anything in flight.</summary>
    private async Task QuietAsync()
    {
        Volatile.Write(ref _reloadPhase, QuietingForReload);
        WakeAll();
        long[] passes = new long[_workers.Length];
        long[] streaks = new long[_workers.Length];
        bool first = false;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < s_quietLimit && !IsQuiescent(passes, streaks, ref first))
        {
            await Task.Delay(1).ConfigureAwait(false);
        }
    }

    /// <summary>Asks every worker to park and waits until all that are alive have; false when one did not in time.</summary>
    private bool ParkWorkers()
    {
        int generation = Interlocked.Increment(ref _parkGeneration);
        Volatile.Write(ref _reloadPhase, ParkingForReload);
        WakeAll();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < s_parkLimit)
        {
            if (_workers.All(w => !w.IsAlive || w.ParkedGeneration == generation))
            {
                return true;
            }
            Thread.Sleep(0);
        }
        return false;
    }

    private void Resume(List<Worker> added)
    {
        Volatile.Write(ref _reloadPhase, NotReloading);
        lock (_parking)
        {
            _resumedGeneration = _parkGeneration;
            Monitor.PulseAll(_parking);
        }
        foreach (Worker worker in added)
        {
            Interlocked.Increment(ref _workersAlive);
            worker.Start();
        }
        WakeAll();
    }

    /// <summary>Parked worker: waits until the switch of park <paramref name="generation"/> is done.</summary>
    internal void WaitForResume(int generation)
    {
        lock (_parking)
        {
            while (_resumedGeneration < generation)
            {
                Monitor.Wait(_parking);
            }
        }
    }

    /// <summary>The rewiring, with every worker parked (no stage runs, no ring moves).</summary>
    private GraphReload Switch(FlowGraph next, IReadOnlyDictionary<string, object> reconfigure, out List<Worker> added)
    {
        // Control messages posted before the park run now, against the version they were meant for.
        foreach (Worker worker in _workers)
        {
            worker.Control.Drain();
        }
        var oldByStage = new Dictionary<Stage, StageNode>(ReferenceEqualityComparer.Instance);
        foreach (StageNode node in _nodes)
        {
            oldByStage.Add(node.Stage, node);
        }
        var keptStages = new HashSet<Stage>(next._nodes.Where(n => oldByStage.ContainsKey(n.Stage)).Select(n => n.Stage), ReferenceEqualityComparer.Instance);
        long lost = 0;

        foreach (StageNode node in next._nodes)
        {
            if (oldByStage.TryGetValue(node.Stage, out StageNode? old))
            {
                lost += node.TakeOver(old);
            }
        }
        var nextRings = next._rings.ToDictionary(r => r.Name, StringComparer.Ordinal);
        foreach (RingLink ring in _rings)
        {
            lost += nextRings.TryGetValue(ring.Name, out RingLink? same) && keptStages.Contains(ring.Target.Stage)
                ? same.TakeOver(ring)
                : ring.FreeContents();
        }
        var removed = new List<string>();
        var replaced = new List<string>();
        foreach (StageNode old in _nodes.Where(n => !keptStages.Contains(n.Stage)))
        {
            (next._byName.ContainsKey(old.Name) ? replaced : removed).Add(old.Name);
            lost += old.Input.Count;
            old.Input.FreeAll();
            Retire(old);
        }
        foreach (StageNode node in next._nodes)
        {
            node.Stage.Node = node;
        }
        var reconfigured = new List<string>();
        foreach ((string name, object options) in reconfigure)
        {
            ((IReconfigurableStage)next._byName[name].Stage).Reconfigure(options);
            reconfigured.Add(name);
        }

        added = [];
        var workers = new Worker[next._workers.Length];
        for (int id = 0; id < workers.Length; id++)
        {
            Worker fresh = next._workers[id];
            StageNode[] starting = fresh.Sources.Concat(fresh.Nodes).Where(n => !keptStages.Contains(n.Stage)).ToArray();
            if (id < _workers.Length)
            {
                Worker worker = _workers[id];
                worker.Adopt(fresh, starting);
                fresh.Wakeup.Dispose();
                workers[id] = worker;
            }
            else
            {
                fresh.AttachTo(this);
                workers[id] = fresh;
                added.Add(fresh);
            }
        }
        for (int id = workers.Length; id < _workers.Length; id++)
        {
            _workers[id].Retire();
            _retiredWorkers.Add(_workers[id]);
        }
        foreach (RingLink ring in next._rings)
        {
            ring.Consumer = workers[ring.Target.Worker];
        }
        _workers = workers;
        _nodes = next._nodes;
        _rings = next._rings;
        _byName = next._byName;
        Edges = next.Edges;
        Warnings = next.Warnings;

        var kept = next._nodes.Where(n => keptStages.Contains(n.Stage)).Select(n => n.Name).Order(StringComparer.Ordinal).ToList();
        var oldNames = new HashSet<string>(oldByStage.Values.Select(o => o.Name), StringComparer.Ordinal);
        var addedStages = next._nodes.Select(n => n.Name).Where(n => !oldNames.Contains(n)).Order(StringComparer.Ordinal).ToList();
        return new GraphReload(kept, reconfigured.Order(StringComparer.Ordinal).ToList(), replaced.Order(StringComparer.Ordinal).ToList(),
            addedStages, removed.Order(StringComparer.Ordinal).ToList(), lost, TimeSpan.Zero);
    }

    /// <summary>A stage the new version does not keep: stopped and disposed here, its worker parked.</summary>
    private void Retire(StageNode old)
    {
        try
        {
            old.Stage.OnStop();
            (old.Stage as IDisposable)?.Dispose();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            FlowCoreLog.ReloadStopFailed(_logger, old.Name, e);
        }
        old.Stage.Node = null;
    }
}
