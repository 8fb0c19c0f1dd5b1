namespace Flow.Net.Tcp;

/// <summary>A reset to send (RFC 9293 3.10.7.1): <see cref="Key"/> is ours, local first.</summary>
internal readonly record struct TcpReset(TcpKey Key, uint Sequence, uint Acknowledgment, bool WithAck, ushort InterfaceId);
