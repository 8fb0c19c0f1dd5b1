namespace Flow.Protocols.Tcp;

/// <summary>The host-order values <see cref="TcpBuilder"/> writes into a TCP header.</summary>
public readonly record struct TcpFields(
    ushort SourcePort,
    ushort DestinationPort,
    uint SequenceNumber,
    uint AcknowledgmentNumber,
    TcpFlags Flags,
    ushort Window,
    ushort UrgentPointer = 0);
