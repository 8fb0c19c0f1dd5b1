using System.Buffers.Binary;
using Flow.Protocols.Ipv4;

namespace Flow.Net.Tcp;

/// <summary>
/// The sender's side of SACK (RFC 2018, RFC 6675 3): the ranges above SND.UNA the peer reported
/// holding, as send-ring positions, sorted and disjoint, at most <see cref="MaxRanges"/>. A hole
/// is what lies below the highest range and in none: the segments loss recovery sends again.
/// </summary>
/// <remarks>
/// The peer may still discard what it reported (RFC 2018 8), so nothing here releases data: only
/// the cumulative ACK does, and a retransmission timeout forgets the board.
/// </remarks>
internal sealed class SackScoreboard
{
    public const int MaxRanges = 8;

    private readonly long[] _start = new long[MaxRanges];
    private readonly long[] _end = new long[MaxRanges];

    public int Count { get; private set; }

    /// <summary>Reads the SACK option's blocks into the board; true when it learned something new.</summary>
    /// <param name="options">The segment's TCP options.</param>
    /// <param name="unacknowledged">SND.UNA as a sequence number.</param>
    /// <param name="head">SND.UNA as a ring position.</param>
    /// <param name="sentEnd">The ring position after the furthest byte sent: blocks beyond it are bogus and ignored.</param>
    public bool Read(ReadOnlySpan<byte> options, uint unacknowledged, long head, long sentEnd)
    {
        bool learned = false;
        var reader = new Ipv4OptionReader(options);
        while (reader.TryReadNext(out byte kind, out ReadOnlySpan<byte> data))
        {
            if (kind != 5 || data.Length % 8 != 0)
            {
                continue;
            }
            for (int i = 0; i + 8 <= data.Length; i += 8)
            {
                // Offsets from SND.UNA: a block at or below it (D-SACK, RFC 2883) says nothing about holes.
                long left = (int)(BinaryPrimitives.ReadUInt32BigEndian(data.Slice(i)) - unacknowledged);
                long right = (int)(BinaryPrimitives.ReadUInt32BigEndian(data.Slice(i + 4)) - unacknowledged);
                if (left > 0 && right > left && head + right <= sentEnd)
                {
                    learned |= Add(head + left, head + right);
                }
            }
        }
        return learned;
    }

    /// <summary>Adds [<paramref name="start"/>, <paramref name="end"/>); true when the board changed.</summary>
    public bool Add(long start, long end)
    {
        int first = 0;
        while (first < Count && _end[first] < start)
        {
            first++;
        }
        int last = first;
        while (last < Count && _start[last] <= end)
        {
            last++;
        }
        if (first < last && _start[first] <= start && _end[last - 1] >= end && last - first == 1)
        {
            return false;
        }
        if (first == last && Count == MaxRanges)
        {
            // Full: the lowest range is the one the cumulative ACK most likely releases next, but a
            // new range below everything is the hole closest to SND.UNA; keep the board as it is.
            return false;
        }
        if (first < last)
        {
            start = Math.Min(start, _start[first]);
            end = Math.Max(end, _end[last - 1]);
        }
        int shift = 1 - (last - first);
        if (shift != 0)
        {
            Array.Copy(_start, last, _start, last + shift, Count - last);
            Array.Copy(_end, last, _end, last + shift, Count - last);
        }
        _start[first] = start;
        _end[first] = end;
        Count += shift;
        return true;
    }

    /// <summary>The cumulative ACK reached <paramref name="head"/>: ranges below it go.</summary>
    public void ReleaseTo(long head)
    {
        int gone = 0;
        while (gone < Count && _end[gone] <= head)
        {
            gone++;
        }
        if (gone > 0)
        {
            Array.Copy(_start, gone, _start, 0, Count - gone);
            Array.Copy(_end, gone, _end, 0, Count - gone);
            Count -= gone;
        }
        if (Count > 0 && _start[0] < head)
        {
            _start[0] = head;
        }
    }

    /// <summary>The first hole at or after <paramref name="from"/>: not reported held, and below a range that is.</summary>
    public bool TryNextHole(long from, out long start, out long end)
    {
        for (int i = 0; i < Count; i++)
        {
            if (_end[i] <= from)
            {
                continue;
            }
            if (_start[i] <= from)
            {
                from = _end[i];
                continue;
            }
            start = from;
            end = _start[i];
            return true;
        }
        start = end = 0;
        return false;
    }

    public void Clear() => Count = 0;
}
