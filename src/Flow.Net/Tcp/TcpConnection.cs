using System.Net.Sockets;
using Flow.Net.Internal;

namespace Flow.Net.Tcp;

/// <summary>
/// One TCP connection: the rings and signals the application and the stack's worker share, and
/// the transmission control block (RFC 9293 3.3.1) only the worker touches.
/// </summary>
/// <remarks>
/// Sequence numbers map onto the send ring: the byte at ring position <c>p</c> has sequence
/// number <c>ISS + 1 + p</c>; SND.UNA is the ring's head (what is acknowledged is released),
/// SND.NXT is <see cref="SendNext"/>. The receive ring holds in-order data not read yet; its
/// free space is the window the connection advertises.
/// </remarks>
internal sealed class TcpConnection
{
    public TcpConnection(TcpKey key, int sendBuffer, int receiveBuffer, FlowTcpListener? listener)
    {
        Key = key;
        Send = new ByteRing(sendBuffer);
        Receive = new ByteRing(receiveBuffer);
        Listener = listener;
    }

    public TcpKey Key { get; set; }

    /// <summary>Application → worker: bytes to send; released as the peer acknowledges them.</summary>
    public ByteRing Send { get; }

    /// <summary>Worker → application: in-order data received.</summary>
    public ByteRing Receive { get; }

    public SocketSignal ReceiveSignal { get; } = new();

    public SocketSignal SendSignal { get; } = new();

    /// <summary>Completes when an active open reaches ESTABLISHED, or fails with why it did not.</summary>
    public TaskCompletionSource Connected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The listener a passive open was made by (to queue it for accept once established).</summary>
    public FlowTcpListener? Listener { get; }

    /// <summary>Set when a listener serves the connection on the worker: its handler takes the place of the signals.</summary>
    public FlowTcpWorkerConnection? Worker { get; set; }

    // Shared flags: written by one side, read by the other.
    public int SendClosed;        // application: no more data (shutdown or close); a FIN follows the data
    public int Aborted;           // application: close without a graceful end (RST)
    public int PeerFinished;      // worker: the peer's FIN arrived after all its data
    public int Error;             // worker: the SocketError that ended the connection (reset, timeout)
    public int QueuedForWorker;   // application: in the engine's request queue once
    public int AdvertisedWindow;  // worker: the window last sent, for the reader's window-update decision
    public int OpenRequested;     // application: an active open waits for the worker
    public int NoDelay;           // application: small segments go out at once (no Nagle)
    public long KeepAliveIdleNs;  // application: 0 = no keep-alive; else probe after this much silence
    public long KeepAliveIntervalNs;
    public int KeepAliveProbes;

    // Worker only: the transmission control block.
    public TcpState State;
    public ushort InterfaceId;
    public bool RetransmitHole;   // loss recovery: the next hole (SACK) or the first unacknowledged segment again
    public bool ProbeWindow;      // the peer's window is zero: one byte past it
    public uint Iss;
    public uint Irs;
    public long SendNext;         // ring position of SND.NXT (FIN not counted)
    public long SendMax;          // the furthest position ever sent: a go-back-N retransmission moves SendNext back, not this
    public bool FinSent;
    public bool FinEverSent;      // the FIN went out once; its ACK may come after a timeout took FinSent back
    public bool FinAcked;
    public uint SendWindow;       // bytes, scaled
    public byte SendScale;
    public byte ReceiveScale;
    public int Mss = 536;
    public uint ReceiveNext;
    public bool AckPending;
    public bool InReadyQueue;
    public bool SynSent;          // a SYN or SYN-ACK of this connection is in flight
    public long RetransmitAt;     // ns, 0: no timer
    public long RtoNs = 1_000_000_000;
    public long SrttNs;
    public long RttVarNs;
    public bool RttTiming;
    public long RttPosition;
    public long RttStartNs;
    public int Retransmissions;
    public int DuplicateAcks;
    public uint Cwnd;
    public uint Ssthresh = uint.MaxValue;
    public long TimeWaitEndsNs;
    public bool SackPermitted;    // both SYNs carried SACK-permitted (RFC 2018 2)
    public bool Timestamps;       // both SYNs carried the timestamps option (RFC 7323 3.2): every segment does
    public uint TimestampOffset;  // this connection's clock offset
    public uint TsRecent;         // RFC 7323 4.3: the peer's timestamp to echo
    public uint LastAckSent;      // RFC 7323 4.3: RCV.NXT in the last ACK sent
    public bool RttMeasured;      // SRTT holds a sample
    public bool InRecovery;       // fast recovery (RFC 6582) until the ACK of Recover
    public long Recover;          // ring position: SND.MAX when recovery began (or at the last timeout)
    public long HighRetransmitted; // ring position: recovery sent everything below this again
    public double CubicMax;       // CUBIC (RFC 9438), in segments: W_max, the window at the last loss
    public double CubicK;         // seconds from the epoch's start until W(t) is back at W_max
    public double CubicOrigin;    // the window W(K)
    public double CubicEstimate;  // the Reno-friendly window (RFC 9438 4.3)
    public long CubicEpochNs;     // when this avoidance epoch began; 0: at the next ACK in avoidance
    public long AvoidanceBytes;   // NewReno: bytes acknowledged towards the next segment of growth
    public int LimitedTransmit;   // RFC 3042: segments past the congestion window the first two duplicate ACKs allow
    public long TailProbeAt;      // ns, 0: no tail loss probe due (RFC 8985 7)
    public bool TailProbeDue;     // the probe timer fired: one segment goes out
    public bool TailProbeSent;    // a probe is out: its ACK's SACK blocks start recovery
    public long LastHeardNs;      // when the peer last sent a segment (keep-alive)
    public long NextKeepAliveNs;
    public int KeepAlivesUnanswered;
    public bool KeepAliveDue;
    public int UnacknowledgedSegments;   // in-order segments received since the last ACK sent
    public long DelayedAckAt;            // ns, 0: no delayed ACK waiting

    /// <summary>What the peer reported holding above SND.UNA (SACK).</summary>
    public SackScoreboard Scoreboard { get; } = new();

    /// <summary>Ranges of data that arrived ahead of a gap, at most this many.</summary>
    public const int MaxAheadRanges = 32;

    // Receive-ring positions [start, end) of data written ahead of the tail, sorted, disjoint.
    private readonly long[] _aheadStart = new long[MaxAheadRanges];
    private readonly long[] _aheadEnd = new long[MaxAheadRanges];
    private int _newestAhead = -1;

    public int AheadCount { get; private set; }

    /// <summary>
    /// Worker: keeps <paramref name="data"/> that arrived <paramref name="offset"/> bytes past
    /// RCV.NXT in the receive ring's free space (RFC 9293 3.10.7.4: segments in the window ahead
    /// of a gap may be held). False when it does not fit or the ranges are all taken.
    /// </summary>
    public bool KeepAhead(int offset, ReadOnlySpan<byte> data)
    {
        long start = Receive.Tail + offset;
        long end = start + data.Length;
        int first = 0;
        while (first < AheadCount && _aheadEnd[first] < start)
        {
            first++;
        }
        int last = first;
        while (last < AheadCount && _aheadStart[last] <= end)
        {
            last++;
        }
        // Ranges first..last-1 touch the new one and merge with it.
        if (first == last && AheadCount == MaxAheadRanges)
        {
            return false;
        }
        if (!Receive.WriteAhead(offset, data))
        {
            return false;
        }
        if (first < last)
        {
            start = Math.Min(start, _aheadStart[first]);
            end = Math.Max(end, _aheadEnd[last - 1]);
        }
        int removed = last - first;
        int shift = 1 - removed;
        if (shift != 0)
        {
            Array.Copy(_aheadStart, last, _aheadStart, last + shift, AheadCount - last);
            Array.Copy(_aheadEnd, last, _aheadEnd, last + shift, AheadCount - last);
        }
        _aheadStart[first] = start;
        _aheadEnd[first] = end;
        AheadCount += shift;
        _newestAhead = first;
        return true;
    }

    /// <summary>
    /// Worker: <paramref name="length"/> in-order bytes were written at the tail; publishes them and
    /// every range held ahead that is now contiguous. Returns how many bytes became readable.
    /// </summary>
    public int PublishInOrder(int length)
    {
        long tail = Receive.Tail;
        long end = tail + length;
        int consumed = 0;
        while (consumed < AheadCount && _aheadStart[consumed] <= end)
        {
            end = Math.Max(end, _aheadEnd[consumed]);
            consumed++;
        }
        if (consumed > 0)
        {
            Array.Copy(_aheadStart, consumed, _aheadStart, 0, AheadCount - consumed);
            Array.Copy(_aheadEnd, consumed, _aheadEnd, 0, AheadCount - consumed);
            AheadCount -= consumed;
            _newestAhead = _newestAhead >= consumed ? _newestAhead - consumed : (AheadCount > 0 ? 0 : -1);
        }
        int published = (int)(end - tail);
        Receive.Publish(published);
        return published;
    }

    /// <summary>Worker: the SACK blocks (RFC 2018 4) of the ranges held, the newest first, as sequence numbers; returns how many.</summary>
    public int SackBlocks(Span<(uint Left, uint Right)> blocks)
    {
        long tail = Receive.Tail;
        int n = 0;
        if (_newestAhead >= 0 && _newestAhead < AheadCount && n < blocks.Length)
        {
            blocks[n++] = (ReceiveNext + (uint)(_aheadStart[_newestAhead] - tail), ReceiveNext + (uint)(_aheadEnd[_newestAhead] - tail));
        }
        for (int i = 0; i < AheadCount && n < blocks.Length; i++)
        {
            if (i != _newestAhead)
            {
                blocks[n++] = (ReceiveNext + (uint)(_aheadStart[i] - tail), ReceiveNext + (uint)(_aheadEnd[i] - tail));
            }
        }
        return n;
    }

    /// <summary>
    /// The reader made room worth a window update: the window could grow by two segments (or half
    /// the ring) since the last one sent (RFC 9293 3.8.6.2.2: no dribbling updates).
    /// </summary>
    public bool WindowUpdateDue => Receive.Free - Volatile.Read(ref AdvertisedWindow) >= Math.Min(2 * Mss, Receive.Capacity / 2);

    public uint SendUnacknowledgedSequence => Iss + 1 + (uint)Send.Head;

    public int InFlight => (int)(SendNext - Send.Head) + (FinSent && !FinAcked ? 1 : 0);

    public bool IsSynchronized => State is not (TcpState.Closed or TcpState.SynSent or TcpState.SynReceived);

    /// <summary>Worker: the connection ended cleanly (both FINs acknowledged); readers see the end, writers an error.</summary>
    public void Finish()
    {
        State = TcpState.Closed;
        Volatile.Write(ref PeerFinished, 1);
        NotifyReadable();
        SendSignal.Wake();
    }

    /// <summary>Worker: data, the end or a failure for the application: wakes its reader, or runs its handler here.</summary>
    public void NotifyReadable()
    {
        if (Worker is { } worker)
        {
            worker.Handle(writable: false);
        }
        else
        {
            ReceiveSignal.Wake();
        }
    }

    /// <summary>Worker: acknowledgments made room in the send ring.</summary>
    public void NotifyWritable()
    {
        if (Worker is { } worker)
        {
            worker.Handle(writable: true);
        }
        else
        {
            SendSignal.Wake();
        }
    }

    /// <summary>Worker: ends the connection with <paramref name="error"/> and wakes everyone waiting on it.</summary>
    public void Fail(SocketError error)
    {
        if (Interlocked.CompareExchange(ref Error, (int)error, 0) == 0)
        {
            Connected.TrySetException(new SocketException((int)error));
        }
        State = TcpState.Closed;
        NotifyReadable();
        SendSignal.Wake();
    }
}
