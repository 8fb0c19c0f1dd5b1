using System.Net;
using System.Net.Sockets;
using Flow.Net.Tcp;
using Microsoft.AspNetCore.Connections;

namespace Flow.Net.Kestrel;

/// <summary>Kestrel's transport on Flow's stack: each bound endpoint is a <see cref="FlowTcpListener"/>.</summary>
public sealed class FlowConnectionListenerFactory(FlowStack stack) : IConnectionListenerFactory
{
    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not IPEndPoint ip || ip.AddressFamily != AddressFamily.InterNetwork && !ip.Address.Equals(IPAddress.IPv6Any))
        {
            throw new NotSupportedException($"Flow's stack listens on IPv4 endpoints; {endpoint} is not one");
        }
        // Kestrel's "any address" may come as IPv6Any (ListenAnyIP): the stack is IPv4, so that is IPv4's any.
        var local = new IPEndPoint(ip.AddressFamily == AddressFamily.InterNetwork ? ip.Address : IPAddress.Any, ip.Port);
        FlowTcpListener listener = stack.CreateTcpListener(local);
        listener.Start(backlog: 512);
        return new ValueTask<IConnectionListener>(new FlowConnectionListener(listener));
    }
}
