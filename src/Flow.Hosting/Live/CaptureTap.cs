using System.Diagnostics;

namespace Flow.Hosting.Live;

/// <summary>
/// Watches one stage for a capture: the packets entering it, those leaving on one port (or on
/// any port, for a source), or those it dropped; copies the ones the filter accepts into the
/// capture's ring, up to a count. Runs on the stage's worker; allocates nothing.
/// </summary>
internal sealed class CaptureTap : BatchObserver
{
    private readonly CaptureRing _ring;
    private readonly CaptureWhat _what;
    private readonly int _port;
    private readonly PacketFilter? _filter;
    private readonly long _limit;
    private readonly int _dropReason;
    private long _accepted;

    /// <param name="ring">Where copies go.</param>
    /// <param name="what">Which packets of the stage.</param>
    /// <param name="port">The port, for <see cref="CaptureWhat.Port"/>.</param>
    /// <param name="filter">Only packets it accepts, or all.</param>
    /// <param name="limit">Most packets to take.</param>
    /// <param name="dropReason">For <see cref="CaptureWhat.Drops"/>: only this reason, or -1 for all.</param>
    public CaptureTap(CaptureRing ring, CaptureWhat what, int port, PacketFilter? filter, long limit, int dropReason = -1)
    {
        _dropReason = dropReason;
        _ring = ring;
        _what = what;
        _port = port;
        _filter = filter;
        _limit = limit;
    }

    /// <summary>Packets accepted (written to the ring or dropped there for want of room).</summary>
    public long Accepted => Volatile.Read(ref _accepted);

    public bool IsComplete => Accepted >= _limit;

    public override void OnEntry(ReadOnlySpan<Packet> packets)
    {
        if (_what != CaptureWhat.Input)
        {
            return;
        }
        long now = Stopwatch.GetTimestamp();
        foreach (Packet packet in packets)
        {
            Offer(packet, now, 0);
        }
    }

    public override void OnExit(ReadOnlySpan<Packet> packets, ReadOnlySpan<Next> nexts)
    {
        if (_what == CaptureWhat.Input)
        {
            return;
        }
        long now = Stopwatch.GetTimestamp();
        for (int i = 0; i < packets.Length; i++)
        {
            Next next = nexts[i];
            bool wanted = _what switch
            {
                CaptureWhat.Port => next.Port == _port,
                CaptureWhat.AnyPort => next.IsPort,
                _ => next.IsDrop && (_dropReason < 0 || next.DropReason == _dropReason),
            };
            if (wanted)
            {
                Offer(packets[i], now, _what == CaptureWhat.Drops ? next.DropReason + 1 : 0);
            }
        }
    }

    public override void OnEmit(Packet packet, int port)
    {
        if (_what == CaptureWhat.AnyPort || (_what == CaptureWhat.Port && port == _port))
        {
            Offer(packet, Stopwatch.GetTimestamp(), 0);
        }
    }

    private void Offer(Packet packet, long now, int comment)
    {
        if (_accepted >= _limit)
        {
            return;
        }
        ReadOnlySpan<byte> data = packet.Data;
        if (_filter is not null && !_filter.Matches(data))
        {
            return;
        }
        Volatile.Write(ref _accepted, _accepted + 1);
        _ring.TryWrite(data, now, comment);
    }
}
