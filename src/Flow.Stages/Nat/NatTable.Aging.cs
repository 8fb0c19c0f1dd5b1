using System.Runtime.CompilerServices;
using Flow.Protocols.Tcp;

namespace Flow.Stages.Nat;

// Aging: one least-recently-used list per timeout class. Every session of a class has the same
// timeout, so the list's head is the next to expire and a refresh moves a session to the tail.
public sealed unsafe partial class NatTable
{
    private const int AgeClasses = 4;

    private readonly long[] _timeouts;
    private readonly int[] _ageHead = new int[AgeClasses];
    private readonly int[] _ageTail = new int[AgeClasses];

    /// <summary>An outbound packet of the session: it lives another full timeout from <paramref name="now"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Refresh(int session, long now)
    {
        ref NatSession s = ref _sessions[session];
        s.LastUsed = now;
        s.Packets++;
        if (_ageTail[(int)s.TimeoutClass] != session)
        {
            AgeUnlink(session);
            AgeAppend(session);
        }
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
        if (timeout != s.TimeoutClass || next != state || outbound)
        {
            AgeUnlink(session);
            s.TimeoutClass = timeout;
            s.LastUsed = now;
            AgeAppend(session);
        }
    }

    /// <summary>
    /// Ends the sessions idle past their timeout at <paramref name="now"/>, oldest first, at most
    /// <paramref name="budget"/> of them (the rest wait for the next call); returns how many ended.
    /// </summary>
    public int Expire(long now, int budget = int.MaxValue)
    {
        int ended = 0;
        for (int c = 0; c < AgeClasses; c++)
        {
            long timeout = _timeouts[c];
            int head;
            while (ended < budget && (head = _ageHead[c]) != None && now - _sessions[head].LastUsed >= timeout)
            {
                Remove(head);
                ended++;
            }
        }
        SessionsExpired += ended;
        return ended;
    }

    /// <summary>Nanoseconds until the session expires if nothing refreshes it.</summary>
    public long RemainingNanoseconds(in NatSession session, long now) => session.LastUsed + _timeouts[(int)session.TimeoutClass] - now;

    private void AgeAppend(int session)
    {
        ref NatSession s = ref _sessions[session];
        int c = (int)s.TimeoutClass;
        // Appended with LastUsed = now from a monotonic clock: each list stays in LastUsed order.
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
