using Flow.Protocols.Tcp;

namespace Flow.Net.Tcp;

/// <summary>
/// A segment sent for no connection: a reset (RFC 9293 3.10.7.1) or a SYN cookie's SYN-ACK
/// (<see cref="SynCookies"/>, with the MSS option when <see cref="Mss"/> is not 0). <see cref="Key"/>
/// is ours, local first.
/// </summary>
internal readonly record struct TcpStatelessReply(TcpKey Key, uint Sequence, uint Acknowledgment, TcpFlags Flags, ushort Mss, ushort InterfaceId)
{
    public static TcpStatelessReply Reset(TcpKey key, uint sequence, uint acknowledgment, bool withAck, ushort interfaceId) =>
        new(key, sequence, acknowledgment, withAck ? TcpFlags.Rst | TcpFlags.Ack : TcpFlags.Rst, 0, interfaceId);
}
