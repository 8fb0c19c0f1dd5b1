using Flow.Net.Tcp;
using Flow.Net.Udp;
using Flow.Stages.Ipv4;

namespace Flow.Net.Internal;

/// <summary>
/// What a socket needs of its stack: the UDP port table and the TCP table, the interfaces (its addresses and
/// broadcasts), the pool it writes datagrams into, and a way to wait until the stack's workers
/// have let go of a socket they may still hold (a batch boundary).
/// </summary>
internal sealed class SocketHost(UdpPortTable ports, TcpTable tcp, RouterInterfaceTable interfaces, PacketPool sendPool, Func<Task> quiesce)
{
    public UdpPortTable Ports { get; } = ports;

    public TcpTable Tcp { get; } = tcp;

    public RouterInterfaceTable Interfaces { get; } = interfaces;

    public PacketPool SendPool { get; } = sendPool;

    public Task QuiesceAsync() => quiesce();
}
