namespace Flow.Net.Tcp;

/// <summary>The connection states of RFC 9293 3.3.2 (LISTEN belongs to <see cref="FlowTcpListener"/>).</summary>
public enum TcpState : byte
{
    Closed,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}
