using System.Buffers.Binary;
using System.Net.Sockets;
using Flow.Net.Internal;
using Flow.Protocols;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Tcp;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing;

namespace Flow.Net.Tcp;

/// <summary>
/// TCP output and timers (RFC 9293, RFC 6298, RFC 5681): opens the connections applications ask
/// for, sends what their send rings hold within the peer's window and the congestion window,
/// FINs after the data, ACKs (delayed ones when their time comes) and window updates, resets for
/// segments of no connection;
/// retransmits on timeout (go-back-N from SND.UNA, exponential back-off, Karn's rule) and after
/// three duplicate ACKs (the first unacknowledged segment), probes a zero window, and ends
/// TIME-WAIT.
/// </summary>
/// <remarks>
/// A source polled by the stack's worker; with <c>tcp_receive</c> on the same worker it is the
/// only writer of every connection's control block. Output <c>routed</c>: segments with room
/// for the Ethernet header <c>arp_resolve</c> writes — route them (a local lookup,
/// <c>ipv4_output</c>). IPv4 headers carry DF (path MTU discovery, RFC 1191). Drops:
/// <c>pool_empty</c> (no frame for a segment: it goes out on a later poll).
/// </remarks>
[SingleShard("it writes the connections' control blocks, which tcp_receive on the same worker reads")]
[Stage("tcp_send", "TCP output: opens, data within the windows, FINs, ACKs, resets; retransmission, fast retransmit, zero-window probes, TIME-WAIT.")]
public sealed class TcpSender : SourceStage<TcpSender.Output, TcpSender.Reason>, IDisposable
{
    private const long MinRtoNs = 200_000_000;   // Linux's floor (RFC 6298 asks for 1 s)
    private const long MaxRtoNs = 60_000_000_000;
    private const int MaxRetransmissions = 8;
    private const int MaxSynRetransmissions = 5;

    /// <summary>Where the TCP header starts in a segment's frame: after the Ethernet header <c>arp_resolve</c> writes and a 20-byte IPv4 header.</summary>
    private const int TcpOffset = EthernetHeader.Size + Ipv4Header.Size;

    private readonly TcpTable _table;
    private readonly RouterInterfaceTable _interfaces;
    private readonly RouteSource _routes;
    private readonly IFlowClock _clock;
    private readonly PacketPool _pool;
    private readonly long _timeWaitNs;
    private readonly int _ownMss;
    private ushort _identification;
    private long _now;

    public TcpSender(TcpSenderOptions options, TcpTable table, Ipv4RouteTable routes, IFlowClock clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(clock);
        _table = table;
        _interfaces = RouterInterfaceTable.Create(options.Interfaces);
        _routes = new RouteSource(routes, _interfaces);
        _clock = clock;
        _pool = PacketPool.Create(options.PoolFrames, name: "tcp_send");
        _timeWaitNs = (long)options.TimeWait.TotalNanoseconds;
        int mtu = options.Interfaces.Count == 0 ? 1500 : options.Interfaces.Min(i => i.Mtu);
        _ownMss = mtu - Ipv4Header.Size - TcpHeader.Size;
        _identification = (ushort)Random.Shared.Next(ushort.MaxValue);
        table.OwnMss = _ownMss;
        table.TimeWaitNs = _timeWaitNs;
        table.Congestion = options.Congestion;
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "TCP segments to route")]
        Routed,
    }

    public enum Reason : byte
    {
        [DropReason("no frame free for a segment; it is sent on a later poll", Severity.Warning)]
        PoolEmpty,
    }

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        long now = _clock.NowNanoseconds;
        _now = now;
        while (_table.TryTakeRequest(out TcpConnection requested))
        {
            Serve(requested, now);
        }
        int n = 0;
        while (_table.TryTakeReply(out TcpStatelessReply reply))
        {
            if (!TryEmitStateless(reply, packets, nexts, ref n))
            {
                _table.ReturnReply(reply);
                return n;
            }
        }
        while (n < packets.Length && _table.TryTakeReady(out TcpConnection connection))
        {
            if (!SendFor(connection, packets, nexts, ref n, now))
            {
                // Out of room in this burst or the pool: the rest goes next time.
                _table.MarkReady(connection);
                break;
            }
        }
        return n;
    }

    /// <summary>Retransmission, zero-window probes and TIME-WAIT, at the worker's timer rate.</summary>
    public override void Tick(long nowNanoseconds)
    {
        List<TcpConnection>? ended = null;
        foreach (TcpConnection c in _table.Connections.Values)
        {
            if (c.State == TcpState.TimeWait)
            {
                if (nowNanoseconds >= c.TimeWaitEndsNs)
                {
                    (ended ??= []).Add(c);
                }
                continue;
            }
            if (c.DelayedAckAt != 0 && nowNanoseconds >= c.DelayedAckAt)
            {
                c.DelayedAckAt = 0;
                c.AckPending = true;
                _table.MarkReady(c);
            }
            if (c.KeepAliveIdleNs > 0 && c.State is TcpState.Established or TcpState.CloseWait && c.InFlight == 0 && KeepAlive(c, nowNanoseconds))
            {
                (ended ??= []).Add(c);
                continue;
            }
            if (c.TailProbeAt != 0 && nowNanoseconds >= c.TailProbeAt)
            {
                c.TailProbeAt = 0;
                if (!c.InRecovery && c.SendNext > c.Send.Head)
                {
                    c.TailProbeDue = true;
                    _table.MarkReady(c);
                }
            }
            if (c.RetransmitAt == 0 || nowNanoseconds < c.RetransmitAt)
            {
                continue;
            }
            c.Retransmissions++;
            _table.RetransmissionTimeouts++;
            bool opening = c.State is TcpState.SynSent or TcpState.SynReceived;
            if (c.Retransmissions > (opening ? MaxSynRetransmissions : MaxRetransmissions))
            {
                c.Fail(SocketError.TimedOut);
                (ended ??= []).Add(c);
                continue;
            }
            c.RtoNs = Math.Min(c.RtoNs * 2, MaxRtoNs);
            c.RetransmitAt = 0;
            c.TailProbeAt = 0;
            c.TailProbeDue = false;
            c.TailProbeSent = false;
            c.RttTiming = false;
            if (opening)
            {
                c.SynSent = false;
            }
            else if (c.InFlight > 0)
            {
                // RFC 5681 3.1: a timeout halves the threshold and restarts from one segment.
                c.Ssthresh = TcpCongestion.OnLoss(c, c.InFlight, _table.Congestion);
                c.Cwnd = (uint)c.Mss;
                c.SendNext = c.Send.Head;
                if (c.FinSent && !c.FinAcked)
                {
                    c.FinSent = false;
                }
                c.DuplicateAcks = 0;
                // RFC 6582 3.2 step 1: duplicate ACKs of what was sent before the timeout start
                // no fast retransmit; the peer may have dropped what it reported (RFC 2018 8).
                c.InRecovery = false;
                c.Recover = c.SendMax;
                c.Scoreboard.Clear();
            }
            else if (c.Send.Count > 0 && c.SendWindow == 0)
            {
                c.ProbeWindow = true;
            }
            _table.MarkReady(c);
        }
        if (ended is not null)
        {
            foreach (TcpConnection c in ended)
            {
                _table.Remove(c);
            }
        }
    }

    /// <summary>
    /// Keep-alive (RFC 1122 4.2.3.6): after the idle time without a segment from the peer, a probe
    /// (an ACK one byte before SND.NXT, which the peer must answer) every interval; after the
    /// probes go unanswered the connection fails with <see cref="SocketError.TimedOut"/>.
    /// Returns true when it failed.
    /// </summary>
    private bool KeepAlive(TcpConnection c, long now)
    {
        if (c.LastHeardNs == 0)
        {
            c.LastHeardNs = now;
        }
        if (now - c.LastHeardNs < c.KeepAliveIdleNs)
        {
            c.KeepAlivesUnanswered = 0;
            c.NextKeepAliveNs = 0;
            return false;
        }
        if (c.NextKeepAliveNs != 0 && now < c.NextKeepAliveNs)
        {
            return false;
        }
        if (c.KeepAlivesUnanswered >= c.KeepAliveProbes)
        {
            c.Fail(SocketError.TimedOut);
            return true;
        }
        c.KeepAlivesUnanswered++;
        c.NextKeepAliveNs = now + c.KeepAliveIntervalNs;
        c.KeepAliveDue = true;
        _table.MarkReady(c);
        return false;
    }

    /// <summary>What an application asked: an active open, or a look at a connection (data, close, room).</summary>
    private void Serve(TcpConnection c, long now)
    {
        if (Interlocked.Exchange(ref c.OpenRequested, 0) == 1)
        {
            Open(c, now);
            return;
        }
        if (c.State == TcpState.Closed)
        {
            return;
        }
        if (Volatile.Read(ref c.Aborted) == 1)
        {
            if (c.IsSynchronized || c.State == TcpState.SynReceived)
            {
                _table.QueueReply(TcpStatelessReply.Reset(c.Key, c.Iss + 1 + (uint)c.SendNext, 0, false, c.InterfaceId));
            }
            c.Fail(SocketError.ConnectionAborted);
            _table.Remove(c);
            return;
        }
        // The reader made room: tell the peer once it is worth an update.
        if (c.IsSynchronized && c.WindowUpdateDue)
        {
            c.AckPending = true;
        }
        _table.MarkReady(c);
    }

    private void Open(TcpConnection c, long now)
    {
        TcpKey key = c.Key;
        if (!_routes.TrySelect(key.RemoteAddress, out uint source, out ushort interfaceId))
        {
            c.Fail(SocketError.NetworkUnreachable);
            return;
        }
        // A socket bound before it connects uses the port its Bind took (and its address).
        ushort port = key.LocalPort;
        if (port != 0)
        {
            _table.HoldBoundPort(port);
        }
        else if ((port = _table.TakeEphemeralPort()) == 0)
        {
            c.Fail(SocketError.AddressNotAvailable);
            return;
        }
        c.Key = key with { LocalAddress = key.LocalAddress != 0 ? key.LocalAddress : source, LocalPort = port };
        c.InterfaceId = interfaceId;
        c.Iss = (uint)Random.Shared.NextInt64();
        c.TimestampOffset = (uint)Random.Shared.NextInt64();
        c.State = TcpState.SynSent;
        c.ReceiveScale = TcpTable.ScaleFor(c.Receive.Capacity);
        c.Cwnd = (uint)(10 * _ownMss);
        _table.Add(c);
        _table.MarkReady(c);
    }

    /// <summary>Sends what the connection has to send; false when the burst or the pool ran out first.</summary>
    private bool SendFor(TcpConnection c, Span<Packet> packets, Span<Next> nexts, ref int n, long now)
    {
        switch (c.State)
        {
            case TcpState.Closed:
            case TcpState.TimeWait when !c.AckPending:
                return true;
            case TcpState.SynSent:
            case TcpState.SynReceived:
                if (c.SynSent)
                {
                    return true;
                }
                bool synAck = c.State == TcpState.SynReceived;
                if (!TryEmit(c, synAck ? TcpFlags.Syn | TcpFlags.Ack : TcpFlags.Syn, c.Iss, 0, 0, packets, nexts, ref n))
                {
                    return false;
                }
                c.SynSent = true;
                c.RetransmitAt = now + c.RtoNs;
                return true;
        }

        bool sentAny = false;
        if (c.RetransmitHole)
        {
            if (!RetransmitHole(c, packets, nexts, ref n))
            {
                return false;
            }
            sentAny = true;
        }
        if (c.TailProbeDue)
        {
            if (!TailProbe(c, packets, nexts, ref n))
            {
                return false;
            }
            sentAny = true;
        }
        if (c.ProbeWindow && c.SendNext < c.Send.Tail)
        {
            // RFC 9293 3.8.6.1: one byte past a zero window, until the peer opens it.
            if (!TryEmit(c, TcpFlags.Ack, c.Iss + 1 + (uint)c.SendNext, c.SendNext, 1, packets, nexts, ref n))
            {
                return false;
            }
            c.ProbeWindow = false;
            c.RetransmitAt = now + c.RtoNs;
            sentAny = true;
        }
        // After a FIN went out, data can still be due again (a timeout sent SND.NXT back to SND.UNA).
        if (c.State is TcpState.Established or TcpState.CloseWait or TcpState.FinWait1 or TcpState.Closing or TcpState.LastAck)
        {
            while (true)
            {
                long unsent = c.Send.Tail - c.SendNext;
                long inFlight = c.SendNext - c.Send.Head;
                long allowed = Math.Min(c.SendWindow, c.Cwnd + (uint)(c.LimitedTransmit * c.Mss)) - inFlight;
                if (unsent <= 0 || allowed <= 0)
                {
                    break;
                }
                int length = (int)Math.Min(Math.Min(unsent, allowed), c.Mss);
                // Nagle (RFC 1122 4.2.3.4): a segment shorter than the MSS waits while data is in
                // flight, unless NoDelay, or the last data before a FIN.
                if (length < c.Mss && length == unsent && inFlight > 0 && Volatile.Read(ref c.NoDelay) == 0 && Volatile.Read(ref c.SendClosed) == 0)
                {
                    break;
                }
                if (!TryEmit(c, TcpFlags.Ack | TcpFlags.Psh, c.Iss + 1 + (uint)c.SendNext, c.SendNext, length, packets, nexts, ref n))
                {
                    return false;
                }
                if (!c.RttTiming && !c.Timestamps)
                {
                    c.RttTiming = true;
                    c.RttPosition = c.SendNext + length;
                    c.RttStartNs = now;
                }
                c.SendNext += length;
                c.SendMax = Math.Max(c.SendMax, c.SendNext);
                if (c.RetransmitAt == 0)
                {
                    c.RetransmitAt = now + c.RtoNs;
                }
                ArmTailProbe(c, now);
                sentAny = true;
            }
        }
        bool finDue = Volatile.Read(ref c.SendClosed) == 1 && !c.FinSent && c.SendNext == c.Send.Tail
            && c.State is TcpState.Established or TcpState.CloseWait or TcpState.FinWait1 or TcpState.Closing or TcpState.LastAck;
        if (finDue)
        {
            if (!TryEmit(c, TcpFlags.Fin | TcpFlags.Ack, c.Iss + 1 + (uint)c.SendNext, 0, 0, packets, nexts, ref n))
            {
                return false;
            }
            c.FinSent = true;
            c.FinEverSent = true;
            c.State = c.State switch
            {
                TcpState.Established => TcpState.FinWait1,
                TcpState.CloseWait => TcpState.LastAck,
                _ => c.State,
            };
            if (c.RetransmitAt == 0)
            {
                c.RetransmitAt = now + c.RtoNs;
            }
            sentAny = true;
        }
        if (c.KeepAliveDue && !sentAny)
        {
            // SND.NXT − 1: a byte the peer has, so it answers with an ACK.
            if (!TryEmit(c, TcpFlags.Ack, c.Iss + (uint)c.SendNext + (c.FinSent ? 1u : 0u), 0, 0, packets, nexts, ref n))
            {
                return false;
            }
            c.KeepAliveDue = false;
            sentAny = true;
        }
        if (c.AckPending && !sentAny)
        {
            uint sequence = c.Iss + 1 + (uint)c.SendNext + (c.FinSent ? 1u : 0u);
            if (!TryEmit(c, TcpFlags.Ack, sequence, 0, 0, packets, nexts, ref n))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// RFC 8985 7.2: a probe two smoothed RTTs (at least 10 ms) after the last transmission or ACK,
    /// well before the retransmission timeout, so a loss at the tail of a flight (which draws no
    /// duplicate ACKs) costs milliseconds, not the timeout's 200. One segment in flight waits a
    /// delayed ACK longer. None in recovery, without an RTT sample, or while a probe is out.
    /// </summary>
    internal static void ArmTailProbe(TcpConnection c, long now)
    {
        if (c.InRecovery || c.TailProbeSent || !c.RttMeasured || c.SendNext <= c.Send.Head)
        {
            c.TailProbeAt = 0;
            return;
        }
        long timeout = Math.Max(2 * c.SrttNs, 10_000_000);
        if (c.SendNext - c.Send.Head <= c.Mss)
        {
            timeout += 2 * TcpReceiver.DelayedAckNs;
        }
        c.TailProbeAt = c.RetransmitAt != 0 && now + timeout >= c.RetransmitAt ? 0 : now + timeout;
    }

    /// <summary>
    /// The tail loss probe (RFC 8985 7.3): a new segment if the peer's window takes one, else the
    /// last one sent again; either way its ACK tells what is missing at the tail.
    /// </summary>
    private bool TailProbe(TcpConnection c, Span<Packet> packets, Span<Next> nexts, ref int n)
    {
        long start;
        int length;
        bool fresh = c.SendNext == c.SendMax && c.SendNext < c.Send.Tail && c.SendNext - c.Send.Head + c.Mss <= c.SendWindow;
        if (fresh)
        {
            start = c.SendNext;
            length = (int)Math.Min(c.Mss, c.Send.Tail - c.SendNext);
        }
        else
        {
            start = Math.Max(c.Send.Head, c.SendNext - c.Mss);
            length = (int)(c.SendNext - start);
        }
        if (!TryEmit(c, TcpFlags.Ack | TcpFlags.Psh, c.Iss + 1 + (uint)start, start, length, packets, nexts, ref n))
        {
            return false;
        }
        if (fresh)
        {
            c.SendNext += length;
            c.SendMax = c.SendNext;
        }
        c.TailProbeDue = false;
        c.TailProbeSent = true;
        _table.TailLossProbes++;
        return true;
    }

    /// <summary>
    /// Loss recovery sends one segment again: the next hole the peer's SACK blocks show past what
    /// recovery sent already, or, with no SACK information, the first unacknowledged segment
    /// (RFC 6582). False when the burst or the pool ran out first.
    /// </summary>
    private bool RetransmitHole(TcpConnection c, Span<Packet> packets, Span<Next> nexts, ref int n)
    {
        if (!c.Scoreboard.TryNextHole(Math.Max(c.Send.Head, c.HighRetransmitted), out long start, out long end))
        {
            if (c.Scoreboard.Count > 0)
            {
                c.RetransmitHole = false;
                return true;
            }
            start = c.Send.Head;
            end = c.SendNext;
        }
        int length = (int)Math.Min(c.Mss, Math.Min(end, c.SendNext) - start);
        if (length > 0)
        {
            if (!TryEmit(c, TcpFlags.Ack | TcpFlags.Psh, c.Iss + 1 + (uint)start, start, length, packets, nexts, ref n))
            {
                return false;
            }
            c.HighRetransmitted = Math.Max(c.HighRetransmitted, start + length);
            _table.RecoveryRetransmissions++;
        }
        c.RetransmitHole = false;
        return true;
    }

    private bool TryEmit(TcpConnection c, TcpFlags flags, uint sequence, long dataPosition, int dataLength,
        Span<Packet> packets, Span<Next> nexts, ref int n)
    {
        if (n >= packets.Length)
        {
            return false;
        }
        if (!_pool.TryAllocate(out Packet packet))
        {
            CountDrop(Reason.PoolEmpty);
            return false;
        }
        bool syn = (flags & TcpFlags.Syn) != 0;
        bool ack = (flags & TcpFlags.Ack) != 0;
        Span<byte> options = stackalloc byte[40];
        int optionsLength = 0;
        uint clock = TcpTimestampOption.Clock(_now, c.TimestampOffset);
        if (syn)
        {
            // MSS (RFC 9293 3.7.1), window scale (RFC 7323 2) and SACK-permitted (RFC 2018 2):
            // offered in a SYN, answered in a SYN-ACK only when the peer offered them.
            options[0] = 2;
            options[1] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(options.Slice(2), (ushort)_ownMss);
            optionsLength = 4;
            if (c.State == TcpState.SynSent || c.SendScale != 0 || c.ReceiveScale != 0)
            {
                options[optionsLength++] = 1;
                options[optionsLength++] = 3;
                options[optionsLength++] = 3;
                options[optionsLength++] = c.ReceiveScale;
            }
            if (c.State == TcpState.SynSent || c.SackPermitted)
            {
                options[optionsLength++] = 1;
                options[optionsLength++] = 1;
                options[optionsLength++] = 4;
                options[optionsLength++] = 2;
            }
            if (c.State == TcpState.SynSent || c.Timestamps)
            {
                optionsLength += TcpTimestampOption.Write(options.Slice(optionsLength), clock, ack ? c.TsRecent : 0);
            }
        }
        else if (c.Timestamps)
        {
            optionsLength += TcpTimestampOption.Write(options, clock, c.TsRecent);
        }
        if (!syn && ack && dataLength == 0 && c.SackPermitted && c.AheadCount > 0)
        {
            // What is held ahead of a gap (RFC 2018 3), on pure ACKs (a full data segment has no
            // room): the peer retransmits only the holes. Four blocks fit, three beside a timestamp.
            Span<(uint Left, uint Right)> blocks = stackalloc (uint, uint)[(options.Length - optionsLength - 4) / 8];
            int count = c.SackBlocks(blocks);
            options[optionsLength++] = 1;
            options[optionsLength++] = 1;
            options[optionsLength++] = 5;
            options[optionsLength++] = (byte)(2 + 8 * count);
            for (int i = 0; i < count; i++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(options.Slice(optionsLength), blocks[i].Left);
                BinaryPrimitives.WriteUInt32BigEndian(options.Slice(optionsLength + 4), blocks[i].Right);
                optionsLength += 8;
            }
        }
        int free = c.Receive.Free;
        ushort window = (ushort)Math.Min(syn ? free : free >> c.ReceiveScale, ushort.MaxValue);
        Volatile.Write(ref c.AdvertisedWindow, syn ? window : window << c.ReceiveScale);
        if (dataLength > 0)
        {
            c.Send.CopyOut(dataPosition, FrameOf(packet).Slice(TcpOffset + TcpHeader.Size + optionsLength, dataLength));
        }
        var fields = new TcpFields(c.Key.LocalPort, c.Key.RemotePort, sequence, ack ? c.ReceiveNext : 0, flags, window);
        WriteHeaders(packet, c.Key, fields, options.Slice(0, optionsLength), dataLength, c.InterfaceId);
        if (ack)
        {
            c.LastAckSent = c.ReceiveNext;
            c.AckPending = false;
            c.UnacknowledgedSegments = 0;
            c.DelayedAckAt = 0;
        }
        packets[n] = packet;
        nexts[n] = Next.ToPort(0);
        n++;
        return true;
    }

    private bool TryEmitStateless(TcpStatelessReply reply, Span<Packet> packets, Span<Next> nexts, ref int n)
    {
        if (n >= packets.Length)
        {
            return false;
        }
        if (!_pool.TryAllocate(out Packet packet))
        {
            CountDrop(Reason.PoolEmpty);
            return false;
        }
        Span<byte> options = stackalloc byte[4];
        int optionsLength = 0;
        if (reply.Mss != 0)
        {
            options[0] = 2;
            options[1] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(options.Slice(2), reply.Mss);
            optionsLength = 4;
        }
        // A cookie's SYN-ACK offers the largest window without scaling: a cookie cannot remember the option.
        ushort window = (reply.Flags & TcpFlags.Syn) != 0 ? ushort.MaxValue : (ushort)0;
        var fields = new TcpFields(reply.Key.LocalPort, reply.Key.RemotePort, reply.Sequence, reply.Acknowledgment, reply.Flags, window);
        WriteHeaders(packet, reply.Key, fields, options.Slice(0, optionsLength), 0, reply.InterfaceId);
        packets[n] = packet;
        nexts[n] = Next.ToPort(0);
        n++;
        return true;
    }

    private static unsafe Span<byte> FrameOf(Packet packet) => new(packet.DataPointer, packet.Tailroom + packet.Length);

    /// <summary>
    /// Writes a segment's TCP header (with its checksum over <paramref name="dataLength"/> bytes
    /// already in place after the options), its IPv4 header (DF) and the EtherType, and the
    /// packet's metadata, ready for routing.
    /// </summary>
    private void WriteHeaders(Packet packet, TcpKey key, in TcpFields fields, ReadOnlySpan<byte> options, int dataLength, ushort interfaceId)
    {
        Span<byte> frame = FrameOf(packet);
        var from = new Ipv4Address(new NetU32(key.LocalAddress));
        var to = new Ipv4Address(new NetU32(key.RemoteAddress));
        int segment = TcpBuilder.Write(frame.Slice(TcpOffset), fields, options, dataLength, from, to);
        Ipv4Builder.TryWriteHeader(frame.Slice(EthernetHeader.Size), from, to, IpProtocol.Tcp, segment, identification: _identification++, dontFragment: true);
        frame.Slice(0, EthernetHeader.Size - 2).Clear();
        BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(EthernetHeader.Size - 2), EtherType.Ipv4);
        ref PacketMeta meta = ref packet.Meta;
        meta.Length = (ushort)(TcpOffset + segment);
        meta.L2Offset = 0;
        meta.L3Offset = EthernetHeader.Size;
        meta.L4Offset = TcpOffset;
        meta.Flags |= PacketFlags.L3Valid;
        meta.InputPort = interfaceId;
    }

    public void Dispose()
    {
        _routes.Dispose();
        _pool.Dispose();
    }
}
