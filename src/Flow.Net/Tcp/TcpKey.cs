namespace Flow.Net.Tcp;

/// <summary>A connection's four-tuple, host byte order.</summary>
internal readonly record struct TcpKey(uint LocalAddress, ushort LocalPort, uint RemoteAddress, ushort RemotePort);
