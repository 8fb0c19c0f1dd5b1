namespace Flow.Net.Tcp;

/// <summary>
/// The congestion window's growth in congestion avoidance and its cut at a loss, by
/// <see cref="TcpCongestionControl"/>. Slow start, fast recovery's inflation and the timeout's
/// restart from one segment are the same for both (RFC 5681, RFC 6582).
/// </summary>
/// <remarks>
/// CUBIC (RFC 9438) counts windows in segments: after a loss the window follows
/// W(t) = C (t − K)³ + W_max, concave up to the window the loss happened at and convex beyond it,
/// with K the time W(t) takes to get back there; each ACK moves the window a step towards
/// W(t + RTT) (at most 1.5 times the window), never below what Reno would have reached in the same
/// time (the Reno-friendly estimate, 4.3). A loss below the last W_max lowers it further (fast
/// convergence, 4.7), to leave room to a newer flow.
/// </remarks>
internal static class TcpCongestion
{
    private const double C = 0.4;
    private const double Beta = 0.7;
    private const double Alpha = 3 * (1 - Beta) / (1 + Beta);

    /// <summary>A loss (three duplicate ACKs or a timeout) with <paramref name="flight"/> bytes out: the new slow-start threshold.</summary>
    public static uint OnLoss(TcpConnection c, int flight, TcpCongestionControl control)
    {
        if (control == TcpCongestionControl.NewReno)
        {
            return (uint)Math.Max(flight / 2, 2 * c.Mss);
        }
        double window = (double)c.Cwnd / c.Mss;
        c.CubicMax = window < c.CubicMax ? window * (1 + Beta) / 2 : window;
        c.CubicEpochNs = 0;
        return (uint)Math.Max(Math.Round(flight * Beta), 2 * c.Mss);
    }

    /// <summary>An ACK of <paramref name="acked"/> new bytes in congestion avoidance: the window grows.</summary>
    public static void OnAvoidanceAck(TcpConnection c, int acked, long now, TcpCongestionControl control)
    {
        if (control == TcpCongestionControl.NewReno)
        {
            // RFC 5681 3.1: one segment a round trip, counted in bytes acknowledged (RFC 3465 2.1),
            // not by MSS²/cwnd per ACK, which rounds a large window's growth away.
            c.AvoidanceBytes += acked;
            if (c.AvoidanceBytes >= c.Cwnd)
            {
                c.AvoidanceBytes -= c.Cwnd;
                c.Cwnd += (uint)c.Mss;
            }
            return;
        }
        double mss = c.Mss;
        double window = c.Cwnd / mss;
        if (c.CubicEpochNs == 0)
        {
            // The first ACK of this avoidance epoch (RFC 9438 4.2): K from where the window starts.
            c.CubicEpochNs = now;
            c.CubicK = c.CubicMax > window ? Math.Cbrt((c.CubicMax - window) / C) : 0;
            c.CubicOrigin = Math.Max(c.CubicMax, window);
            c.CubicEstimate = window;
        }
        double t = (now - c.CubicEpochNs) / 1e9;
        double segments = acked / mss;
        c.CubicEstimate += (c.CubicEstimate >= c.CubicMax ? 1 : Alpha) * segments / window;
        double next;
        if (Cubic(c, t) < c.CubicEstimate)
        {
            next = c.CubicEstimate;
        }
        else
        {
            double target = Math.Clamp(Cubic(c, t + c.SrttNs / 1e9), window, 1.5 * window);
            next = window + (target - window) / window * segments;
        }
        c.Cwnd = (uint)Math.Min(Math.Max(next * mss, c.Cwnd), int.MaxValue);
    }

    private static double Cubic(TcpConnection c, double t)
    {
        double d = t - c.CubicK;
        return C * d * d * d + c.CubicOrigin;
    }
}
