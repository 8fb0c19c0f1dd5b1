using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Flow.Protocols.Tcp;

namespace Flow.Stages.Nat;

// Aging: one list per timeout class, in the order sessions were queued. Every session of a class
// has the same timeout, so only the head can be due. A refresh only stamps the session (it is in
// cache already; moving it in the list would touch two other sessions); the expiry pass re-queues
// a head that was refreshed since it was queued, so each session moves at most once a timeout.
// Times are milliseconds modulo 2^32, compared by difference: no session waits 24 days unseen.
public sealed unsafe partial class NatTable
{
    private const int AgeClasses = 4;

    private readonly uint[] _timeouts;
    private readonly int[] _ageHead = new int[AgeClasses];
    private readonly int[] _ageTail = new int[AgeClasses];

    /// <summary>An outbound packet of the session: it lives another full timeout from <paramref name="now"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Refresh(int session, long now)
    {
        ref NatSession s = ref _sessions[session];
        s.LastUsed = Milliseconds(now);
        s.Packets++;
    }

    /// <summary>Counts an inbound packet of the session without refreshing it (RFC 4787 REQ-6: outbound refresh).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CountInbound(int session) => _sessions[session].Packets++;

    /// <summary>
    /// Follows a TCP session through the flags of one of its segments (RFC 5382 5, RFC 7857 2.2):
    /// SYN both ways makes it established (7440 s), FIN both ways or a RST makes it closing
    /// (transitory, 240 s), and its timeout class follows. The segment itself refreshes only when
    /// <paramref name="outbound"/>.
    /// </summary>
    public void TrackTcp(int session, TcpFlags flags, bool outbound, long now)
    {
        ref NatSession s = ref _sessions[session];
        NatSessionState state = s.State;
        NatSessionState next = state;
        if ((flags & TcpFlags.Rst) != 0)
        {
            next = NatSessionState.Closing;
        }
        else if ((flags & TcpFlags.Syn) != 0)
        {
            next = state switch
            {
                NatSessionState.Open => outbound ? NatSessionState.SynOutbound : NatSessionState.SynInbound,
                NatSessionState.SynOutbound when !outbound => NatSessionState.Established,
                NatSessionState.SynInbound when outbound => NatSessionState.Established,
                NatSessionState.Closing => outbound ? NatSessionState.SynOutbound : NatSessionState.SynInbound,
                _ => state,
            };
        }
        else if ((flags & TcpFlags.Fin) != 0)
        {
            next = state switch
            {
                NatSessionState.Established => outbound ? NatSessionState.FinOutbound : NatSessionState.FinInbound,
                NatSessionState.FinOutbound when !outbound => NatSessionState.Closing,
                NatSessionState.FinInbound when outbound => NatSessionState.Closing,
                _ => state,
            };
        }
        NatTimeoutClass timeout = next is NatSessionState.Established or NatSessionState.FinOutbound or NatSessionState.FinInbound
            ? NatTimeoutClass.TcpEstablished
            : NatTimeoutClass.TcpTransitory;
        s.State = next;
        s.Packets++;
        // A change of state restarts the clock whichever way the segment went, as a refresh.
        if (next != state || outbound)
        {
            s.LastUsed = Milliseconds(now);
        }
        if (timeout != s.TimeoutClass)
        {
            AgeUnlink(session);
            s.TimeoutClass = timeout;
            AgeAppend(session);
        }
    }

    /// <summary>
    /// Ends the sessions idle past their timeout at <paramref name="now"/>, oldest first, at most
    /// <paramref name="budget"/> of them (the rest wait for the next call); returns how many ended.
    /// </summary>
    public int Expire(long now, int budget = int.MaxValue)
    {
        uint ms = Milliseconds(now);
        int ended = 0;
        int looked = 0;
        for (int c = 0; c < AgeClasses; c++)
        {
            uint timeout = _timeouts[c];
            int head;
            // Re-queued heads count against the budget too, so a pass is bounded whatever it finds.
            while (looked < budget && (head = _ageHead[c]) != None && ms - _sessions[head].Queued >= timeout)
            {
                looked++;
                ref NatSession s = ref _sessions[head];
                if (Sse.IsSupported && s.AgeNext != None)
                {
                    // Two deep: the next head's line was asked for last time round, so its buckets
                    // and mapping can be asked for now, and the line after it.
                    PrefetchForRemoval(s.AgeNext);
                }
                if (ms - s.LastUsed >= timeout)
                {
                    Remove(head);
                    ended++;
                }
                else
                {
                    AgeUnlink(head);
                    AgeAppend(head);
                }
            }
        }
        SessionsExpired += ended;
        return ended;
    }

    private void PrefetchForRemoval(int session)
    {
        ref NatSession next = ref _sessions[session];
        Sse.Prefetch0(_sessionInside + Bucket(next.InsideAddress, next.RemoteAddress, next.InsidePort, next.RemotePort, next.Protocol));
        Sse.Prefetch0(_sessionOutside + Bucket(next.OutsideAddress, next.RemoteAddress, next.OutsidePort, next.RemotePort, next.Protocol));
        Sse.Prefetch0(_mappings + next.Mapping);
        if (next.AgeNext != None)
        {
            Sse.Prefetch0(_sessions + next.AgeNext);
        }
    }

    /// <summary>Nanoseconds until the session expires if nothing refreshes it (it may linger up to a tick longer).</summary>
    public long RemainingNanoseconds(in NatSession session, long now) =>
        ((long)_timeouts[(int)session.TimeoutClass] - (int)(Milliseconds(now) - session.LastUsed)) * 1_000_000;

    private static uint Milliseconds(long nanoseconds) => (uint)(nanoseconds / 1_000_000);

    private void AgeAppend(int session)
    {
        ref NatSession s = ref _sessions[session];
        int c = (int)s.TimeoutClass;
        // Queued at the latest time seen, so each list stays in Queued order.
        s.Queued = _latest = Later(_latest, s.LastUsed);
        int tail = _ageTail[c];
        s.AgePrev = tail;
        s.AgeNext = None;
        if (tail == None)
        {
            _ageHead[c] = session;
        }
        else
        {
            _sessions[tail].AgeNext = session;
        }
        _ageTail[c] = session;
    }

    // The latest stamp any session was queued with: a session stamped earlier (a state change
    // keeps an inbound segment's older time) queues no earlier than those already in the list.
    private uint _latest;

    private static uint Later(uint a, uint b) => (int)(b - a) > 0 ? b : a;

    private void AgeUnlink(int session)
    {
        ref NatSession s = ref _sessions[session];
        int c = (int)s.TimeoutClass;
        if (s.AgePrev == None)
        {
            _ageHead[c] = s.AgeNext;
        }
        else
        {
            _sessions[s.AgePrev].AgeNext = s.AgeNext;
        }
        if (s.AgeNext == None)
        {
            _ageTail[c] = s.AgePrev;
        }
        else
        {
            _sessions[s.AgeNext].AgePrev = s.AgePrev;
        }
    }
}
