namespace Flow.Net.Tcp;

/// <summary>How TCP's congestion window grows between losses and how far a loss cuts it.</summary>
public enum TcpCongestionControl
{
    /// <summary>CUBIC (RFC 9438), Linux's default: the window grows as a cubic function of the time since the last loss, and a loss cuts it to 0.7.</summary>
    Cubic = 0,

    /// <summary>NewReno (RFC 5681, RFC 6582): one segment a round trip in congestion avoidance, and a loss halves the window.</summary>
    NewReno = 1,
}
