using System.Net.Sockets;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Tcp;

namespace Flow.Net.Tcp;

/// <summary>
/// TCP input (RFC 9293 3.10.7): finds each segment's connection, or the listener of its port for
/// a SYN, and runs the state machine — handshakes both ways (and simultaneous open), ACKs that
/// release sent data and grow the congestion window, duplicate ACKs that trigger a fast
/// retransmit, in-order data into the connection's receive ring, FIN, RST (exact sequence, RFC
/// 5961 challenge ACKs otherwise); a segment of no connection is answered with a reset.
/// </summary>
/// <remarks>
/// Input: <c>ipv4_local</c>'s <c>tcp</c>. Every segment ends here: its data is copied into the
/// receive ring (the frame goes back to its port at once), and what must be sent in answer is
/// left for <c>tcp_send</c> on the same worker. Data ahead of a gap is held in the receive ring's
/// free space (up to 32 ranges, no memory beyond the window) and reported in SACK blocks
/// (RFC 2018) when the peer allows them; it becomes readable when the gap is filled.
/// Drops: <c>malformed</c>, <c>truncated</c>, <c>bad_checksum</c>, <c>no_connection</c> (answered
/// by a reset), <c>backlog_full</c> (a SYN a listener's queue has no room for), <c>out_of_order</c>
/// (ahead of a gap and not held), <c>duplicate</c>, <c>not_acceptable</c> (outside the window, or no ACK).
/// </remarks>
[SingleShard("it writes the connections' control blocks, which tcp_send on the same worker reads")]
[Stage("tcp_receive", "TCP input: the state machine, ACK and window processing, in-order data to the connection, resets for strays.",
    Accepts = typeof(Carries.Ipv4))]
public sealed class TcpReceiver : Stage<NoOutput, TcpReceiver.Reason>
{
    /// <summary>How long an ACK may wait for data to ride on (Linux's floor; RFC 1122 allows 500 ms). tcp_send's timer pass sends it.</summary>
    internal const long DelayedAckNs = 40_000_000;

    /// <summary>
    /// Clock ticks a segment's timestamp may lag the latest one before PAWS drops it (Linux's
    /// TCP_PAWS_WINDOW): a segment overtaken on the way by one sent a millisecond later is not an old duplicate.
    /// </summary>
    private const int PawsTolerance = 1;

    private readonly TcpTable _table;
    private readonly IFlowClock _clock;

    public TcpReceiver(TcpTable table, IFlowClock clock)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(clock);
        _table = table;
        _clock = clock;
    }

    public enum Reason : byte
    {
        [DropReason("no valid IPv4 header at the L3 offset", Severity.Error)]
        Malformed,
        [DropReason("TCP header missing or its data offset wrong")]
        Truncated,
        [DropReason("TCP checksum does not match")]
        BadChecksum,
        [DropReason("segment of no connection or listener: answered with a reset", Severity.Info)]
        NoConnection,
        [DropReason("SYN or handshake ACK for a listener whose accept queue is full", Severity.Warning)]
        BacklogFull,
        [DropReason("SYN not queued: the listener's half-open queue is full, so it was answered with a SYN cookie", Severity.Info)]
        SynCookie,
        [DropReason("data ahead of a gap that could not be held (beyond the ranges kept or the window); answered with a duplicate ACK", Severity.Info)]
        OutOfOrder,
        [DropReason("data received already (a retransmission): acknowledged again", Severity.Info)]
        Duplicate,
        [DropReason("segment outside the receive window, or without ACK where one is needed", Severity.Info)]
        NotAcceptable,
        [DropReason("segment whose timestamp is older than the connection's latest (PAWS, RFC 7323 5): an old duplicate, acknowledged", Severity.Info)]
        Stale,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        long now = _clock.NowNanoseconds;
        for (int i = 0; i < packets.Length; i++)
        {
            Next next = Arrive(packets[i], now);
            if (next == Next.Consumed)
            {
                PacketPools.Free(packets[i]);
            }
            nexts[i] = next;
        }
    }

    private Next Arrive(Packet packet, long now)
    {
        int l3 = packet.Meta.L3Offset;
        Span<byte> data = packet.Data;
        if ((uint)l3 > (uint)data.Length || !Ipv4Packet.TryParse(data.Slice(l3), out Ipv4Packet ip) || ip.Header.IsFragment)
        {
            return Drop(Reason.Malformed);
        }
        if (!TcpSegment.TryParse(ip.Payload, out TcpSegment segment))
        {
            return Drop(Reason.Truncated);
        }
        if (!segment.HasValidChecksum(ip.Header.Source, ip.Header.Destination))
        {
            return Drop(Reason.BadChecksum);
        }
        ref TcpHeader header = ref segment.Header;
        var key = new TcpKey(ip.Header.Destination.Value.Host, header.DestinationPort.Host, ip.Header.Source.Value.Host, header.SourcePort.Host);
        ReadOnlySpan<byte> options = segment.Options;
        bool timestamped = TcpTimestampOption.TryRead(options, out uint timestamp, out uint echo);
        var arrived = new Arrival(header.SequenceNumber.Host, header.AcknowledgmentNumber.Host, header.Flags, header.Window.Host, segment.Payload, options,
            timestamped, timestamp, echo);
        uint? iss = null;
        FlowTcpListener? listener;
        if (_table.Connections.TryGetValue(key, out TcpConnection? connection))
        {
            // Only a SYN for a connection in TIME-WAIT needs the listener; every other segment is the connection's.
            if (!IsNewIncarnation(connection, arrived) || (listener = ListenerFor(key)) is null)
            {
                return Segment(connection, arrived, now);
            }
            // Past every sequence number the old incarnation used (RFC 9293 3.4.1).
            iss = connection.Iss + 1 + (uint)connection.SendMax + ushort.MaxValue + 2;
            _table.Remove(connection);
        }
        else
        {
            listener = ListenerFor(key);
        }
        if (listener is not null)
        {
            TcpFlags handshake = arrived.Flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst);
            if (handshake == TcpFlags.Syn)
            {
                return Listen(listener, key, arrived, packet.Meta.InputPort, iss);
            }
            if (handshake == TcpFlags.Ack && SynCookies.TryCheck(key, arrived.Acknowledgment - 1, now, out int mss))
            {
                return Cookie(listener, key, arrived, mss, packet.Meta.InputPort, now);
            }
        }
        if ((arrived.Flags & TcpFlags.Rst) == 0)
        {
            Reset(key, arrived, packet.Meta.InputPort);
        }
        return Drop(Reason.NoConnection);
    }

    /// <summary>The listener of the segment's port, if it listens on any address or on the segment's.</summary>
    private FlowTcpListener? ListenerFor(TcpKey key) =>
        _table.Listener(key.LocalPort) is { } listener && (listener.Address == 0 || listener.Address == key.LocalAddress) ? listener : null;

    /// <summary>
    /// RFC 9293 3.6.1 and RFC 6191: a SYN for a connection in TIME-WAIT opens a new one when it
    /// cannot be an old duplicate — its timestamp is newer than the old connection's, or, without
    /// timestamps, its sequence number is past what the old connection received.
    /// </summary>
    private static bool IsNewIncarnation(TcpConnection c, in Arrival arrived) =>
        c.State == TcpState.TimeWait
        && (arrived.Flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) == TcpFlags.Syn
        && (c.Timestamps && arrived.Timestamped
            ? (int)(arrived.Timestamp - c.TsRecent) > 0
            : (int)(arrived.Sequence - c.ReceiveNext) > 0);

    /// <summary>RFC 9293 3.10.7.1: the reset a segment of no connection gets.</summary>
    private void Reset(TcpKey key, in Arrival arrived, ushort interfaceId)
    {
        TcpStatelessReply reset = (arrived.Flags & TcpFlags.Ack) != 0
            ? TcpStatelessReply.Reset(key, arrived.Acknowledgment, 0, false, interfaceId)
            : TcpStatelessReply.Reset(key, 0, arrived.Sequence + (uint)arrived.Payload.Length + ((arrived.Flags & TcpFlags.Syn) != 0 ? 1u : 0u) + ((arrived.Flags & TcpFlags.Fin) != 0 ? 1u : 0u), true, interfaceId);
        _table.QueueReply(reset);
    }

    private Next Listen(FlowTcpListener listener, TcpKey key, in Arrival arrived, ushort interfaceId, uint? iss)
    {
        if (listener.Queued >= listener.Backlog)
        {
            return Drop(Reason.BacklogFull);
        }
        if (listener.SynQueue >= listener.Backlog)
        {
            // The half-open queue is full (a SYN flood, or a burst): answer without keeping state.
            int mss = TcpSynOptions.Read(arrived.Options).Mss;
            uint cookie = SynCookies.Make(key, Math.Min(mss, _table.OwnMss), _clock.NowNanoseconds);
            _table.QueueReply(new TcpStatelessReply(key, cookie, arrived.Sequence + 1, TcpFlags.Syn | TcpFlags.Ack,
                (ushort)Math.Min(_table.OwnMss, ushort.MaxValue), interfaceId));
            return Drop(Reason.SynCookie);
        }
        var c = new TcpConnection(key, listener.SendBufferSize, listener.ReceiveBufferSize, listener)
        {
            State = TcpState.SynReceived,
            Irs = arrived.Sequence,
            ReceiveNext = arrived.Sequence + 1,
            Iss = iss ?? (uint)Random.Shared.NextInt64(),
            TimestampOffset = (uint)Random.Shared.NextInt64(),
            SendWindow = arrived.Window,
            InterfaceId = interfaceId,
        };
        ReadSynOptions(c, arrived.Options);
        listener.SynQueue++;
        _table.Add(c);
        _table.MarkReady(c);
        return Next.Consumed;
    }

    /// <summary>The ACK of a SYN cookie's SYN-ACK: the connection is made now, ESTABLISHED, from what the cookie kept.</summary>
    private Next Cookie(FlowTcpListener listener, TcpKey key, in Arrival arrived, int mss, ushort interfaceId, long now)
    {
        if (listener.Queued >= listener.Backlog)
        {
            return Drop(Reason.BacklogFull);
        }
        var c = new TcpConnection(key, listener.SendBufferSize, listener.ReceiveBufferSize, listener)
        {
            State = TcpState.Established,
            Iss = arrived.Acknowledgment - 1,
            Irs = arrived.Sequence - 1,
            ReceiveNext = arrived.Sequence,
            SendWindow = arrived.Window,
            Mss = Math.Min(mss, _table.OwnMss),
            InterfaceId = interfaceId,
        };
        c.Cwnd = (uint)(10 * c.Mss);
        c.Connected.TrySetResult();
        _table.Add(c);
        listener.Enqueue(c);
        Acknowledge(c, arrived, now);
        return Receive(c, arrived, now, inOrder: true);
    }

    private void ReadSynOptions(TcpConnection c, ReadOnlySpan<byte> options)
    {
        (int mss, int scale, bool sackPermitted, bool timestamps, uint timestamp) = TcpSynOptions.Read(options);
        c.Mss = Math.Clamp(mss, 88, _table.OwnMss);
        // Our SYN offers SACK and timestamps; a SYN-ACK carries them only if the peer agreed (RFC 2018 2, RFC 7323 3.2).
        c.SackPermitted = sackPermitted;
        c.Timestamps = timestamps;
        if (timestamps)
        {
            c.TsRecent = timestamp;
            // Every segment carries the option: it takes room from the data.
            c.Mss -= TcpTimestampOption.AlignedLength;
        }
        if (scale >= 0)
        {
            // RFC 7323 2.2: scaling only when both SYNs carry the option.
            c.SendScale = (byte)scale;
            if (c.State == TcpState.SynReceived)
            {
                c.ReceiveScale = TcpTable.ScaleFor(c.Receive.Capacity);
            }
        }
        else
        {
            c.SendScale = 0;
            c.ReceiveScale = 0;
        }
        c.Cwnd = (uint)(10 * c.Mss);   // RFC 6928's initial window
    }

    private Next Segment(TcpConnection c, in Arrival arrived, long now)
    {
        TcpFlags flags = arrived.Flags;
        c.LastHeardNs = now;
        if (c.State == TcpState.SynSent)
        {
            return SynSent(c, arrived, now);
        }
        if (c.State == TcpState.Closed)
        {
            return Drop(Reason.NoConnection);
        }
        if (c.Timestamps && arrived.Timestamped)
        {
            int age = (int)(arrived.Timestamp - c.TsRecent);
            if (age < -PawsTolerance && (flags & TcpFlags.Rst) == 0)
            {
                // RFC 7323 5.3 (PAWS): an older clock than the peer's latest is an old duplicate.
                AckNow(c);
                return Drop(Reason.Stale);
            }
            if (age >= 0 && (int)(arrived.Sequence - c.LastAckSent) <= 0)
            {
                c.TsRecent = arrived.Timestamp;
            }
        }

        // RFC 9293 3.10.7.4 first: is the segment in the window? (Simplified: its first byte is
        // where the window starts, or it carries nothing but an ACK.)
        bool inOrder = arrived.Sequence == c.ReceiveNext;
        if ((flags & TcpFlags.Rst) != 0)
        {
            if (inOrder)
            {
                if (c.State == TcpState.SynReceived && c.Listener is { } listener)
                {
                    listener.SynQueue--;
                    _table.Remove(c);
                    return Next.Consumed;
                }
                c.Fail(SocketError.ConnectionReset);
                _table.Remove(c);
                return Next.Consumed;
            }
            // RFC 5961 3.2: a reset outside the receive window is dropped silently; one inside it
            // but not exactly in sequence gets a challenge ACK.
            if (arrived.Sequence - c.ReceiveNext >= (uint)c.AdvertisedWindow)
            {
                return Drop(Reason.NotAcceptable);
            }
            c.AckPending = true;
            _table.MarkReady(c);
            return Drop(Reason.NotAcceptable);
        }
        if ((flags & TcpFlags.Syn) != 0)
        {
            if (c.State == TcpState.SynReceived && arrived.Sequence + 1 == c.ReceiveNext)
            {
                // The peer's SYN again: our SYN-ACK was lost.
                c.SynSent = false;
                _table.MarkReady(c);
                return Next.Consumed;
            }
            // RFC 5961 4.2: a SYN on a synchronized connection gets a challenge ACK.
            c.AckPending = true;
            _table.MarkReady(c);
            return Drop(Reason.NotAcceptable);
        }
        if ((flags & TcpFlags.Ack) == 0)
        {
            return Drop(Reason.NotAcceptable);
        }

        if (c.State == TcpState.SynReceived)
        {
            if (arrived.Acknowledgment != c.Iss + 1)
            {
                Reset(c.Key, arrived, c.InterfaceId);
                return Drop(Reason.NotAcceptable);
            }
            c.State = TcpState.Established;
            c.SynSent = false;
            c.RetransmitAt = 0;
            c.Retransmissions = 0;
            c.SendWindow = (uint)arrived.Window << c.SendScale;
            c.Connected.TrySetResult();
            if (c.Listener is { } listener)
            {
                listener.SynQueue--;
                listener.Enqueue(c);
            }
        }

        Acknowledge(c, arrived, now);
        if (c.State == TcpState.Closed)
        {
            return Next.Consumed;
        }
        return Receive(c, arrived, now, inOrder);
    }

    private Next SynSent(TcpConnection c, in Arrival arrived, long now)
    {
        TcpFlags flags = arrived.Flags;
        bool ackOk = (flags & TcpFlags.Ack) != 0 && arrived.Acknowledgment == c.Iss + 1;
        if ((flags & TcpFlags.Ack) != 0 && !ackOk)
        {
            if ((flags & TcpFlags.Rst) == 0)
            {
                Reset(c.Key, arrived, c.InterfaceId);
            }
            return Drop(Reason.NotAcceptable);
        }
        if ((flags & TcpFlags.Rst) != 0)
        {
            if (ackOk)
            {
                c.Fail(SocketError.ConnectionRefused);
                _table.Remove(c);
                return Next.Consumed;
            }
            return Drop(Reason.NotAcceptable);
        }
        if ((flags & TcpFlags.Syn) == 0)
        {
            return Drop(Reason.NotAcceptable);
        }
        c.Irs = arrived.Sequence;
        c.ReceiveNext = arrived.Sequence + 1;
        ReadSynOptions(c, arrived.Options);
        c.SendWindow = arrived.Window;
        c.RetransmitAt = 0;
        c.Retransmissions = 0;
        c.SynSent = false;
        if (ackOk)
        {
            c.State = TcpState.Established;
            c.AckPending = true;
            c.Connected.TrySetResult();
        }
        else
        {
            // Simultaneous open (RFC 9293 3.5): both sent a SYN; answer with a SYN-ACK.
            c.State = TcpState.SynReceived;
        }
        _table.MarkReady(c);
        return Next.Consumed;
    }

    /// <summary>
    /// The ACK field: releases acknowledged data, RTT and window, congestion control (RFC 5681),
    /// loss recovery (RFC 6582's NewReno, sending SACK's holes first, RFC 6675), FIN acknowledged.
    /// </summary>
    private void Acknowledge(TcpConnection c, in Arrival arrived, long now)
    {
        int acked = (int)(arrived.Acknowledgment - c.SendUnacknowledgedSequence);
        int inFlight = c.InFlight;
        // After a timeout moved SND.NXT back, the peer may acknowledge what was sent before it.
        long sentData = c.SendMax - c.Send.Head;
        uint window = (uint)arrived.Window << c.SendScale;
        if (acked > sentData + (c.FinEverSent ? 1 : 0))
        {
            // RFC 9293: an ACK of something not yet sent is answered with an ACK and ignored.
            c.AckPending = true;
            _table.MarkReady(c);
            return;
        }
        if (c.SackPermitted && acked >= 0 && !arrived.Options.IsEmpty)
        {
            c.Scoreboard.Read(arrived.Options, c.SendUnacknowledgedSequence, c.Send.Head, c.SendMax);
        }
        bool windowOpened = window > c.SendWindow;
        if (acked > 0)
        {
            int dataAcked = (int)Math.Min(acked, sentData);
            if (c.FinEverSent && acked == sentData + 1)
            {
                c.FinAcked = true;
                c.FinSent = true;
            }
            long head = c.Send.Head + dataAcked;
            if (c.SendNext < head)
            {
                c.SendNext = head;
            }
            Measure(c, arrived, head, now);
            c.Send.ReleaseTo(head);
            c.Scoreboard.ReleaseTo(head);
            if (dataAcked > 0)
            {
                c.NotifyWritable();
            }
            if (c.InRecovery)
            {
                if (head >= c.Recover)
                {
                    // RFC 6582 3.2 step 3: the full ACK ends recovery; the window deflates to the threshold.
                    c.InRecovery = false;
                    c.Cwnd = (uint)Math.Min(c.Ssthresh, Math.Max(c.SendMax - head, c.Mss) + c.Mss);
                }
                else
                {
                    // Step 4, a partial ACK: the next hole goes at once; the window deflates by what
                    // was acknowledged, less the segment that left.
                    c.RetransmitHole = true;
                    c.Cwnd = (uint)Math.Max((long)c.Cwnd - dataAcked + (dataAcked >= c.Mss ? c.Mss : 0), c.Mss);
                }
            }
            else if (c.Cwnd < c.Ssthresh)
            {
                // RFC 5681 3.1: slow start below the threshold, then about one segment per RTT.
                c.Cwnd += (uint)Math.Min(dataAcked, c.Mss);
            }
            else
            {
                TcpCongestion.OnAvoidanceAck(c, dataAcked, now, _table.Congestion);
            }
            c.DuplicateAcks = 0;
            c.LimitedTransmit = 0;
            c.Retransmissions = 0;
            c.TailProbeSent = false;
            c.RetransmitAt = c.InFlight > 0 ? now + c.RtoNs : 0;
            TcpSender.ArmTailProbe(c, now);
            _table.MarkReady(c);
        }
        else if (acked == 0 && arrived.Payload.Length == 0 && (arrived.Flags & TcpFlags.Fin) == 0 && inFlight > 0 && window == c.SendWindow)
        {
            c.DuplicateAcks++;
            if (c.InRecovery)
            {
                // A segment left the network: a hole the peer reported goes in its place, or, with
                // none known, the window grows by one segment (RFC 5681 3.2 step 4).
                if (c.Scoreboard.TryNextHole(Math.Max(c.Send.Head, c.HighRetransmitted), out _, out _))
                {
                    c.RetransmitHole = true;
                }
                else
                {
                    c.Cwnd += (uint)c.Mss;
                }
                _table.MarkReady(c);
            }
            else if (c.Send.Head >= c.Recover && (c.DuplicateAcks >= DuplicateThreshold(c) || (c.TailProbeSent && c.Scoreboard.Count > 0)))
            {
                // RFC 5681 3.2 and RFC 6582 3.2 step 2: fast retransmit, then recovery until all
                // that was sent so far is acknowledged (not again for losses from before a timeout).
                // A tail loss probe's answer showing a hole starts it too (RFC 8985 7.4).
                c.InRecovery = true;
                c.LimitedTransmit = 0;
                c.TailProbeSent = false;
                c.TailProbeAt = 0;
                _table.FastRetransmits++;
                c.Recover = c.SendMax;
                c.HighRetransmitted = c.Send.Head;
                c.Ssthresh = TcpCongestion.OnLoss(c, inFlight, _table.Congestion);
                c.Cwnd = c.Ssthresh + (uint)(3 * c.Mss);
                c.RetransmitHole = true;
                c.RttTiming = false;
                _table.MarkReady(c);
            }
            else if (c.DuplicateAcks <= 2)
            {
                // RFC 3042: each of the first two duplicate ACKs lets a new segment out, so a loss in
                // a small window still draws the duplicates fast retransmit needs.
                c.LimitedTransmit = c.DuplicateAcks;
                _table.MarkReady(c);
            }
        }
        c.SendWindow = window;
        if (windowOpened)
        {
            c.ProbeWindow = false;
            _table.MarkReady(c);
        }
        if (c.FinAcked)
        {
            switch (c.State)
            {
                case TcpState.FinWait1:
                    c.State = TcpState.FinWait2;
                    break;
                case TcpState.Closing:
                    EnterTimeWait(c, now);
                    break;
                case TcpState.LastAck:
                    c.Finish();
                    _table.Remove(c);
                    break;
            }
        }
    }

    /// <summary>
    /// Duplicate ACKs that mean a loss: three (RFC 5681), or, with two or three segments out and
    /// nothing new to send, one fewer than those out (RFC 5827's early retransmit).
    /// </summary>
    private static int DuplicateThreshold(TcpConnection c)
    {
        long outstanding = (c.SendMax - c.Send.Head + c.Mss - 1) / c.Mss;
        return outstanding is 2 or 3 && c.Send.Tail == c.SendNext ? (int)outstanding - 1 : 3;
    }

    /// <summary>
    /// An RTT sample per round trip: with timestamps from the echoed clock (RFC 7323 4, valid for
    /// retransmissions too), else from the segment timed since it was sent (Karn's rule).
    /// </summary>
    private static void Measure(TcpConnection c, in Arrival arrived, long head, long now)
    {
        if (c.Timestamps)
        {
            if (arrived.Timestamped && arrived.Echo != 0 && head >= c.RttPosition)
            {
                int milliseconds = (int)(TcpTimestampOption.Clock(now, c.TimestampOffset) - arrived.Echo);
                if (milliseconds >= 0)
                {
                    Sample(c, milliseconds * 1_000_000L);
                    c.RttPosition = c.SendMax + 1;
                }
            }
        }
        else if (c.RttTiming && head >= c.RttPosition)
        {
            Sample(c, now - c.RttStartNs);
            c.RttTiming = false;
        }
    }

    /// <summary>
    /// The data and FIN. In-order data goes into the receive ring and is published with whatever
    /// was held ahead of it and is now contiguous; data ahead of a gap is held in the ring's free
    /// space (at most <see cref="TcpConnection.MaxAheadRanges"/> ranges) and answered with a
    /// duplicate ACK carrying SACK blocks; what repeats received data is trimmed off.
    /// </summary>
    private Next Receive(TcpConnection c, in Arrival arrived, long now, bool inOrder)
    {
        ReadOnlySpan<byte> payload = arrived.Payload;
        bool fin = (arrived.Flags & TcpFlags.Fin) != 0;
        if (payload.IsEmpty && !fin)
        {
            if (arrived.Sequence != c.ReceiveNext)
            {
                // Below the window (a keep-alive probe) or beyond it: RFC 9293 answers with an ACK.
                c.AckPending = true;
                _table.MarkReady(c);
            }
            return Next.Consumed;
        }
        if (c.State is not (TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2))
        {
            // After the peer's FIN there is nothing more to take; a retransmitted FIN is acknowledged again.
            c.AckPending = true;
            if (c.State == TcpState.TimeWait)
            {
                c.TimeWaitEndsNs = now + _table.TimeWaitNs;
            }
            _table.MarkReady(c);
            return Next.Consumed;
        }
        int offset = (int)(arrived.Sequence - c.ReceiveNext);
        if (offset < 0)
        {
            // A retransmission of data partly taken already: keep only what is new.
            if (-offset > payload.Length || (-offset == payload.Length && !fin))
            {
                AckNow(c);
                return Drop(Reason.Duplicate);
            }
            payload = payload.Slice(-offset);
            offset = 0;
        }
        int room = c.Receive.Free - offset;
        if (payload.Length > room)
        {
            // Beyond the window: keep what fits; the FIN comes again.
            payload = payload.Slice(0, Math.Max(room, 0));
            fin = false;
        }
        if (offset > 0)
        {
            // Ahead of a gap: a duplicate ACK at once (with SACK blocks) tells the peer what is missing.
            AckNow(c);
            return !payload.IsEmpty && c.KeepAhead(offset, payload) ? Next.Consumed : Drop(Reason.OutOfOrder);
        }
        if (!inOrder && payload.IsEmpty && !fin)
        {
            AckNow(c);
            return Drop(Reason.NotAcceptable);
        }
        bool filledGap = c.AheadCount > 0;
        c.Receive.WriteAhead(0, payload);
        int published = c.PublishInOrder(payload.Length);
        c.ReceiveNext += (uint)published;
        if (published > 0)
        {
            c.NotifyReadable();
        }
        // The FIN counts once every byte before it is in: it is this segment's last sequence number.
        if (fin && published == payload.Length)
        {
            c.ReceiveNext++;
            Volatile.Write(ref c.PeerFinished, 1);
            c.NotifyReadable();
            c.State = c.State switch
            {
                TcpState.Established => TcpState.CloseWait,
                TcpState.FinWait1 when c.FinAcked => TcpState.TimeWait,
                TcpState.FinWait1 => TcpState.Closing,
                _ => TcpState.TimeWait,
            };
            if (c.State == TcpState.TimeWait)
            {
                EnterTimeWait(c, now);
            }
            AckNow(c);
            return Next.Consumed;
        }
        if (filledGap || payload.Length < arrived.Payload.Length || ++c.UnacknowledgedSegments >= 2)
        {
            // RFC 1122 4.2.3.2 / RFC 5681 4.2: at least every second segment, and at once when a gap
            // closes or the window cut the segment short.
            AckNow(c);
        }
        else if (c.DelayedAckAt == 0)
        {
            // Delayed: an answer the application writes meanwhile carries the ACK.
            c.DelayedAckAt = now + DelayedAckNs;
        }
        return Next.Consumed;
    }

    private void AckNow(TcpConnection c)
    {
        c.AckPending = true;
        _table.MarkReady(c);
    }

    private void EnterTimeWait(TcpConnection c, long now)
    {
        c.State = TcpState.TimeWait;
        c.TimeWaitEndsNs = now + _table.TimeWaitNs;
        c.RetransmitAt = 0;
        Volatile.Write(ref c.PeerFinished, 1);
        c.NotifyReadable();
        c.SendSignal.Wake();
    }

    /// <summary>RFC 6298 2: smoothed RTT and variance, RTO = SRTT + 4 RTTVAR, at least 200 ms (Linux's floor).</summary>
    private static void Sample(TcpConnection c, long rttNs)
    {
        if (!c.RttMeasured)
        {
            c.RttMeasured = true;
            c.SrttNs = rttNs;
            c.RttVarNs = rttNs / 2;
        }
        else
        {
            c.RttVarNs = (3 * c.RttVarNs + Math.Abs(c.SrttNs - rttNs)) / 4;
            c.SrttNs = (7 * c.SrttNs + rttNs) / 8;
        }
        c.RtoNs = Math.Clamp(c.SrttNs + 4 * c.RttVarNs, 200_000_000, 60_000_000_000);
    }

    private readonly ref struct Arrival(uint sequence, uint acknowledgment, TcpFlags flags, ushort window, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> options,
        bool timestamped, uint timestamp, uint echo)
    {
        public uint Sequence { get; } = sequence;

        public uint Acknowledgment { get; } = acknowledgment;

        public TcpFlags Flags { get; } = flags;

        public ushort Window { get; } = window;

        public ReadOnlySpan<byte> Payload { get; } = payload;

        public ReadOnlySpan<byte> Options { get; } = options;

        /// <summary>The segment carries the timestamps option: <see cref="Timestamp"/> (TSval) and <see cref="Echo"/> (TSecr).</summary>
        public bool Timestamped { get; } = timestamped;

        public uint Timestamp { get; } = timestamp;

        public uint Echo { get; } = echo;
    }
}
