using System.Diagnostics;
using System.Globalization;

namespace Flow.Hosting.Live;

/// <summary>
/// The capture a control endpoint runs: at most one at a time, on one stage. Its tap copies
/// packets on the worker into a bounded ring; a thread of its own (not a worker) writes the
/// ring to a pcapng file, so the data path never waits for the disk.
/// </summary>
internal sealed class LiveCapture
{
    /// <summary>Room for bursts while the writer catches up: about 16 MiB of copies.</summary>
    private const int RingBytes = 16 << 20;

    /// <summary>Longest copy kept per packet (a jumbo frame); snaplen defaults to it.</summary>
    public const int MaxSnapLength = 9216;

    private readonly Lock _lock = new();

    // The running capture, or the last one (finished) so 'capture show' can still tell about
    // it; a new capture replaces it only once its file is open. The control endpoint runs one
    // command at a time, so two starts never race.
    private Session? _session;

    /// <summary>Starts a capture; refuses one while another runs.</summary>
    public async Task<string> StartAsync(FlowGraph graph, CaptureSpec spec, ControlCaller? caller)
    {
        StageInfo stage = graph.Stages.FirstOrDefault(s => s.Name == spec.Stage)
            ?? throw new ControlCommandException($"no stage named '{spec.Stage}'; 'stages' lists them");
        StageDescriptor descriptor = stage.Stage.Descriptor;
        CaptureWhat what;
        int port = -1;
        if (spec.Drops)
        {
            what = CaptureWhat.Drops;
        }
        else if (spec.Port is not null)
        {
            port = descriptor.FindPort(spec.Port)?.Index
                ?? throw new ControlCommandException($"stage '{spec.Stage}' has no port '{spec.Port}'; its ports are {string.Join(", ", descriptor.Ports.Select(p => p.Name))}");
            what = CaptureWhat.Port;
        }
        else
        {
            what = descriptor.IsSource ? CaptureWhat.AnyPort : CaptureWhat.Input;
        }
        lock (_lock)
        {
            if (_session is { IsFinished: false } running)
            {
                throw new ControlCommandException($"a capture of {running.Edge} to '{running.Path}' is running; 'capture stop' ends it");
            }
        }

        int slotBytes = Math.Min(spec.SnapLength, MaxSnapLength);
        int slots = (int)Math.Clamp(System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(RingBytes / slotBytes)), 256, 16384);
        var ring = new CaptureRing(slots, slotBytes);
        var tap = new CaptureTap(ring, what, port, spec.Filter, spec.Count ?? long.MaxValue, spec.DropReason ?? -1);
        string edge = what switch
        {
            CaptureWhat.Port => $"{spec.Stage}:{spec.Port}",
            CaptureWhat.Drops => $"{spec.Stage}:drop",
            CaptureWhat.AnyPort => $"{spec.Stage} (all ports)",
            _ => $"{spec.Stage} (input)",
        };
        FileStream file = CaptureFile.Create(spec.File, caller);
        var writer = new PcapNgWriter(file);
        writer.AddInterface(edge, $"flow stage '{spec.Stage}' ({descriptor.TypeName}) on worker {stage.Worker}: {Describe(what, spec)}", slotBytes);
        writer.Flush();
        var session = new Session(graph, spec.Stage, edge, spec.File, tap, ring, writer, descriptor);
        lock (_lock)
        {
            _session = session;
        }
        await graph.ObserveAsync(spec.Stage, tap).ConfigureAwait(false);
        session.StartWriting();
        return $"capturing {edge} to {spec.File}" + (spec.Count is long n ? $", {n} packets" : "") + (spec.Filter is { } f ? $", filter '{f.Text}'" : "");
    }

    /// <summary>Stops the capture (if any), waits for its file to be complete and says what it holds.</summary>
    public async Task<string> StopAsync()
    {
        Session? session;
        lock (_lock)
        {
            session = _session;
            _session = null;
        }
        if (session is null)
        {
            return "no capture is running";
        }
        await session.StopAsync().ConfigureAwait(false);
        return session.Summary();
    }

    public string Show()
    {
        lock (_lock)
        {
            return _session?.Summary() ?? "no capture is running";
        }
    }

    private static string Describe(CaptureWhat what, CaptureSpec spec) => what switch
    {
        CaptureWhat.Port => $"packets leaving on port '{spec.Port}'",
        CaptureWhat.Drops => "packets the stage dropped, the reason in each packet's comment",
        CaptureWhat.AnyPort => "packets leaving on any port",
        _ => "packets entering the stage",
    } + (spec.Filter is { } f ? $", filter '{f.Text}'" : "");

    /// <summary>One running capture and its writer thread.</summary>
    private sealed class Session
    {
        private static readonly TimeSpan s_idle = TimeSpan.FromMilliseconds(2);

        private readonly FlowGraph _graph;
        private readonly string _stage;
        private readonly CaptureTap _tap;
        private readonly CaptureRing _ring;
        private readonly PcapNgWriter _writer;
        private readonly StageDescriptor _descriptor;
        private readonly long _epochNanoseconds;
        private readonly long _epochTimestamp;
        private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _stopping;
        private long _written;
        private int _detached;
        private Thread? _thread;

        public Session(FlowGraph graph, string stage, string edge, string path, CaptureTap tap, CaptureRing ring, PcapNgWriter writer, StageDescriptor descriptor)
        {
            _graph = graph;
            _stage = stage;
            Edge = edge;
            Path = path;
            _tap = tap;
            _ring = ring;
            _writer = writer;
            _descriptor = descriptor;
            _epochTimestamp = Stopwatch.GetTimestamp();
            _epochNanoseconds = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        }

        public string Edge { get; }

        public string Path { get; }

        public bool IsFinished => _finished.Task.IsCompleted;

        public void StartWriting()
        {
            _thread = new Thread(WriteLoop) { IsBackground = true, Name = "flow-capture" };
            _thread.Start();
        }

        public async Task StopAsync()
        {
            await DetachAsync().ConfigureAwait(false);
            _stopping = true;
            await _finished.Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }

        public string Summary()
        {
            long written = Volatile.Read(ref _written);
            long dropped = _ring.Dropped;
            string state = IsFinished ? "done" : "running";
            return string.Create(CultureInfo.InvariantCulture,
                $"capture of {Edge} to {Path} {state}: {written} packets written, {dropped} dropped by the capture (its ring was full; the data path never waits)");
        }

        private async Task DetachAsync()
        {
            if (Interlocked.Exchange(ref _detached, 1) == 0)
            {
                try
                {
                    await _graph.StopObservingAsync(_stage, _tap).ConfigureAwait(false);
                }
                catch (InvalidOperationException)
                {
                    // The graph stopped first: its workers call nobody any more.
                }
            }
        }

        /// <summary>Drains the ring to the file until stopped (or the count is reached) and the ring is empty.</summary>
        private void WriteLoop()
        {
            try
            {
                while (true)
                {
                    int drained = Drain();
                    if (drained == 0)
                    {
                        if (_stopping || (_tap.IsComplete && _ring.TryPeek(out _, out _) == false))
                        {
                            if (_tap.IsComplete && !_stopping)
                            {
                                _ = DetachAsync();
                            }
                            break;
                        }
                        _writer.Flush();
                        Thread.Sleep(s_idle);
                    }
                }
                Drain();
            }
            finally
            {
                _writer.Dispose();
                _finished.TrySetResult();
            }
        }

        private int Drain()
        {
            int n = 0;
            while (_ring.TryPeek(out CaptureRing.CaptureRecord record, out ReadOnlySpan<byte> bytes))
            {
                long nanoseconds = _epochNanoseconds + (long)((record.Timestamp - _epochTimestamp) * (1e9 / Stopwatch.Frequency));
                string? comment = record.Comment == 0 ? null : Comment(record.Comment - 1);
                _writer.WritePacket(0, nanoseconds, bytes, record.OriginalLength, comment);
                _ring.Release();
                Volatile.Write(ref _written, _written + 1);
                n++;
            }
            return n;
        }

        private string Comment(int reason) =>
            reason < _descriptor.DropReasons.Count
                ? $"dropped by {_stage}: {_descriptor.DropReasons[reason].Symbol} ({_descriptor.DropReasons[reason].Description})"
                : $"dropped by {_stage}: reason {reason}";
    }
}
