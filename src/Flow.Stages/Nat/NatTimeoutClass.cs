namespace Flow.Stages.Nat;

/// <summary>The idle timeout a session is aged by; each class is one list in least-recently-used order, so expiry is O(1) per session.</summary>
internal enum NatTimeoutClass : byte
{
    Udp,
    Icmp,
    TcpEstablished,
    TcpTransitory,
}
