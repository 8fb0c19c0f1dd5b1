using System.Diagnostics;

namespace Flow.Hosting.Live;

/// <summary>
/// A packet trace's watcher on one stage: at the stages where the trace picks packets it marks
/// those the filter accepts (up to the count) with <see cref="PacketFlags.Traced"/>; at every
/// stage it records, for each marked packet, where it went, its headers before and after and
/// the stage's note. Runs on the stage's worker; allocates only for traced packets.
/// </summary>
internal sealed class TraceTap : BatchObserver
{
    private readonly LiveTrace.Session _session;
    private readonly string _stage;
    private readonly int _worker;
    private readonly StageDescriptor _descriptor;
    private readonly ITraceNote? _notes;
    private readonly bool _picks;
    private readonly bool _isSource;

    // Headers of this batch's traced packets as they entered, by position (worker-owned); all
    // null between batches, so a batch without traced packets writes nothing here.
    private readonly string?[] _entry = new string?[PacketBatch.DefaultCapacity];
    private bool _anyEntry;

    public TraceTap(LiveTrace.Session session, StageInfo stage, bool picks)
    {
        _session = session;
        _stage = stage.Name;
        _worker = stage.Worker;
        _descriptor = stage.Stage.Descriptor;
        _notes = stage.Stage as ITraceNote;
        _picks = picks;
        _isSource = stage.Stage.IsSource;
    }

    public override void OnEntry(ReadOnlySpan<Packet> packets)
    {
        _anyEntry = false;
        bool picking = _picks && _session.IsPicking;
        for (int i = 0; i < packets.Length && i < _entry.Length; i++)
        {
            Packet packet = packets[i];
            if (picking)
            {
                TryPick(packet);
            }
            if ((packet.Meta.Flags & PacketFlags.Traced) != 0 && _session.IdOf(packet) != 0)
            {
                _entry[i] = PacketHeaders.Decode(packet.Data).ToString();
                _anyEntry = true;
            }
        }
    }

    public override void OnExit(ReadOnlySpan<Packet> packets, ReadOnlySpan<Next> nexts)
    {
        // Only a packet marked on its way in (or picked here, at a source) is followed: once the
        // count is reached and nothing marked passes, a batch costs this test and the entry loop.
        bool sourcePicking = _isSource && _picks && _session.IsPicking;
        if (!_anyEntry && !sourcePicking)
        {
            return;
        }
        long now = Stopwatch.GetTimestamp();
        for (int i = 0; i < packets.Length; i++)
        {
            Packet packet = packets[i];
            if (sourcePicking)
            {
                TryPick(packet);
            }
            string? entry = null;
            if (i < _entry.Length)
            {
                entry = _entry[i];
                _entry[i] = null; // all null again between batches
            }
            if ((packet.Meta.Flags & PacketFlags.Traced) == 0)
            {
                continue;
            }
            int id = _session.IdOf(packet);
            if (id == 0)
            {
                continue;
            }
            Next next = nexts[i];
            bool readable = !next.IsConsumed;
            string result = next.IsPort ? _descriptor.Ports[next.Port].Name
                : next.IsDrop ? $"drop: {Reason(next.DropReason)}"
                : _descriptor.Transmits ? "sent" : "consumed";
            string? note = _notes?.TraceNote(packet, next);
            string? exit = readable ? PacketHeaders.Decode(packet.Data).ToString() : null;
            _session.Record(new TraceStep(id, now, _stage, _worker, result, note, entry, exit));
            // A dropped or sent packet's path ends here; one a stage keeps (ARP holding it for a
            // neighbour) may come out again later and is still followed.
            if (next.IsDrop || (next.IsConsumed && _descriptor.Transmits))
            {
                _session.Finish(packet);
            }
        }
        _anyEntry = false;
    }

    public override void OnEmit(Packet packet, int port)
    {
        if ((packet.Meta.Flags & PacketFlags.Traced) == 0)
        {
            return;
        }
        int id = _session.CopyOf(packet);
        if (id != 0)
        {
            _session.Record(new TraceStep(id, Stopwatch.GetTimestamp(), _stage, _worker, _descriptor.Ports[port].Name,
                "a copy the stage made (flood)", null, PacketHeaders.Decode(packet.Data).ToString()));
        }
    }

    private void TryPick(Packet packet)
    {
        if ((packet.Meta.Flags & PacketFlags.Traced) != 0 && _session.IdOf(packet) != 0)
        {
            return;
        }
        _session.TryPick(packet);
    }

    private string Reason(int reason) =>
        reason < _descriptor.DropReasons.Count ? _descriptor.DropReasons[reason].Symbol : reason.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
