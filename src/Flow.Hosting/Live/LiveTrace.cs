using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Flow.Hosting.Live;

/// <summary>
/// The packet trace a control endpoint runs (VPP's <c>trace add</c>, grout's <c>trace</c>): a
/// <see cref="TraceTap"/> on every stage while it runs, packets picked where they enter the
/// graph (its sources, or the stage <c>--stage</c> names) and followed stage by stage.
/// </summary>
internal sealed class LiveTrace
{
    private readonly Lock _lock = new();

    // The running trace, or the last one (stopped) so 'trace show' can still show it.
    private Session? _session;

    public async Task<string> StartAsync(FlowGraph graph, int count, string? pickAt, PacketFilter? filter)
    {
        if (pickAt is not null && graph.Stages.All(s => s.Name != pickAt))
        {
            throw new ControlCommandException($"no stage named '{pickAt}'; 'stages' lists them");
        }
        if (pickAt is null && !graph.Stages.Any(s => s.Stage.IsSource))
        {
            throw new ControlCommandException("the graph has no source stage to pick packets at; choose a stage with --stage <name>");
        }
        await StopAsync().ConfigureAwait(false);
        var session = new Session(graph, count, filter);
        lock (_lock)
        {
            _session = session;
        }
        // Every stage's tap is attached before any picking one (each attaches on its own worker,
        // at its own time): a packet picked earlier would pass stages nobody watched yet.
        bool Picks(StageInfo stage) => pickAt is null ? stage.Stage.IsSource : stage.Name == pickAt;
        foreach (StageInfo stage in graph.Stages.OrderBy(Picks))
        {
            var tap = new TraceTap(session, stage, Picks(stage));
            session.Taps.Add((stage.Name, tap));
            await graph.ObserveAsync(stage.Name, tap).ConfigureAwait(false);
        }
        string where = pickAt is null ? "where they enter the graph (its sources)" : $"where they enter '{pickAt}'";
        return $"tracing {count} packets, picked {where}" + (filter is null ? "" : $", filter '{filter.Text}'") + "; 'trace show' lists them";
    }

    public async Task<string> StopAsync()
    {
        Session? session;
        lock (_lock)
        {
            session = _session;
        }
        if (session is null || session.Stopped)
        {
            return "no trace is running";
        }
        await session.StopAsync().ConfigureAwait(false);
        return $"trace stopped: {session.Picked} packets traced, {session.Steps.Count} steps";
    }

    public ControlReply Show()
    {
        Session? session;
        lock (_lock)
        {
            session = _session;
        }
        if (session is null)
        {
            return ControlReply.Text("no trace has run; 'trace start' begins one");
        }
        double microsecondsPerTick = 1e6 / Stopwatch.Frequency;
        var rows = session.Steps.OrderBy(s => s.Packet).ThenBy(s => s.Timestamp).Select(s => (IReadOnlyList<string>)
        [
            s.Packet.ToString(CultureInfo.InvariantCulture),
            ((s.Timestamp - session.Started) * microsecondsPerTick).ToString("0.0", CultureInfo.InvariantCulture),
            s.Stage, s.Worker.ToString(CultureInfo.InvariantCulture), (ShardNames.Split(s.Stage).Shard ?? 0).ToString(CultureInfo.InvariantCulture),
            s.Result, s.Note ?? "", s.Entry ?? "", s.Exit ?? "",
        ]).ToList();
        string state = session.Stopped ? "stopped" : "running";
        return ControlReply.Table(["packet", "time_us", "stage", "worker", "shard", "result", "note", "entry", "exit"], rows,
            $"trace {state}: {session.Picked} of {session.Count} packets picked, {rows.Count} steps");
    }

    /// <summary>One trace: which packets are followed (by handle), and the steps recorded.</summary>
    internal sealed class Session(FlowGraph graph, int count, PacketFilter? filter)
    {
        /// <summary>Steps kept at most, so a trace of looping or flooded packets stays bounded.</summary>
        private const int MaxSteps = 100_000;

        private readonly ConcurrentDictionary<Packet, int> _ids = new();
        private readonly ConcurrentQueue<TraceStep> _steps = new();
        private int _picked;
        private int _nextId;
        private int _stepCount;

        public List<(string Stage, TraceTap Tap)> Taps { get; } = [];

        public int Count => count;

        public long Started { get; } = Stopwatch.GetTimestamp();

        public int Picked => Math.Min(Volatile.Read(ref _picked), count);

        /// <summary>More packets may still be picked (the count is not reached).</summary>
        public bool IsPicking => Volatile.Read(ref _picked) < count;

        public bool Stopped { get; private set; }

        public IReadOnlyCollection<TraceStep> Steps => _steps;

        /// <summary>On a worker: follows <paramref name="packet"/> when the count allows and the filter accepts it.</summary>
        public void TryPick(Packet packet)
        {
            if (Volatile.Read(ref _picked) >= count || (filter is not null && !filter.Matches(packet.Data)))
            {
                return;
            }
            if (Interlocked.Increment(ref _picked) > count)
            {
                return;
            }
            packet.Meta.Flags |= PacketFlags.Traced;
            _ids[packet] = Interlocked.Increment(ref _nextId);
        }

        public int IdOf(Packet packet) => _ids.TryGetValue(packet, out int id) ? id : 0;

        /// <summary>A marked packet the trace does not know: a copy a stage made of a traced one; it gets a number of its own.</summary>
        public int CopyOf(Packet packet) => _ids.GetOrAdd(packet, _ => Interlocked.Increment(ref _nextId));

        public void Record(TraceStep step)
        {
            if (Interlocked.Increment(ref _stepCount) <= MaxSteps)
            {
                _steps.Enqueue(step);
            }
        }

        /// <summary>The packet's path ended (dropped or sent): forget its handle, which its frame's next packet may reuse.</summary>
        public void Finish(Packet packet) => _ids.TryRemove(packet, out _);

        public async Task StopAsync()
        {
            Stopped = true;
            foreach ((string stage, TraceTap tap) in Taps)
            {
                try
                {
                    await graph.StopObservingAsync(stage, tap).ConfigureAwait(false);
                }
                catch (InvalidOperationException)
                {
                    // The graph stopped first: nobody calls the taps any more.
                }
            }
        }
    }
}
