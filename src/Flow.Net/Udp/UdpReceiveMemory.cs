namespace Flow.Net.Udp;

/// <summary>
/// What the sockets' receive rings hold of the stack's receive ports (Linux's udp_mem, in frames).
/// A datagram waits for its application in the frame it arrived in, with no copy, while fewer
/// than <see cref="InPlaceLimit"/> such frames wait across all sockets; past that, <c>udp_receive</c>
/// copies it into a frame of its own pool and gives the port's frame back at once. Without the
/// limit, sockets whose applications do not read would keep every frame of the port's pool in
/// their rings, and the port would receive nothing more: not for them, not for TCP, not ARP.
/// </summary>
/// <remarks>
/// <c>udp_receive</c> (one worker) counts a frame in when it queues it; the socket counts it out
/// when the application takes it or the socket closes, on any thread.
/// </remarks>
public sealed class UdpReceiveMemory
{
    /// <summary>Default of <see cref="InPlaceLimit"/>: a quarter of a 1 024-frame port pool.</summary>
    public const int DefaultInPlaceLimit = 256;

    private long _inPlace;
    private long _copied;

    /// <summary>Receive-port frames the sockets' rings may hold at once (<see cref="UdpReceiverOptions.InPlaceFrames"/>).</summary>
    public int InPlaceLimit { get; private set; } = DefaultInPlaceLimit;

    /// <summary>Receive-port frames the sockets' rings hold now.</summary>
    public long InPlace => Volatile.Read(ref _inPlace);

    /// <summary>Datagrams copied out of their frame because <see cref="InPlaceLimit"/> frames were held.</summary>
    public long Copied => Volatile.Read(ref _copied);

    /// <summary>The pool copies are made in (<c>udp_receive</c>'s); its frames are not counted.</summary>
    internal ushort CopyPoolId { get; private set; }

    /// <summary>Set by <c>udp_receive</c> when it is made, before any datagram.</summary>
    internal void Configure(int inPlaceLimit, ushort copyPoolId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inPlaceLimit);
        InPlaceLimit = inPlaceLimit;
        CopyPoolId = copyPoolId;
    }

    /// <summary>Counts a frame in when there is room for it (on the receiving worker).</summary>
    internal bool TryHoldInPlace()
    {
        if (Volatile.Read(ref _inPlace) >= InPlaceLimit)
        {
            return false;
        }
        Interlocked.Increment(ref _inPlace);
        return true;
    }

    /// <summary>A frame counted in did not go into a ring after all.</summary>
    internal void ReleaseInPlace() => Interlocked.Decrement(ref _inPlace);

    internal void CountCopy() => Volatile.Write(ref _copied, _copied + 1);

    /// <summary>A datagram left a socket's ring (taken or freed at close): counts its frame out unless it was a copy.</summary>
    internal void Left(Packet packet)
    {
        if (packet.Meta.PoolId != CopyPoolId)
        {
            Interlocked.Decrement(ref _inPlace);
        }
    }
}
