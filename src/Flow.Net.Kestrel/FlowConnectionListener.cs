using System.Net;
using Flow.Net.Tcp;
using Microsoft.AspNetCore.Connections;

namespace Flow.Net.Kestrel;

/// <summary>One Kestrel endpoint on Flow's stack.</summary>
internal sealed class FlowConnectionListener(FlowTcpListener listener) : IConnectionListener
{
    public EndPoint EndPoint => listener.LocalEndPoint;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            FlowTcpStream stream = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            return new FlowConnectionContext(stream);
        }
        catch (ObjectDisposedException)
        {
            // Unbound: Kestrel's accept loop ends on null.
            return null;
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        listener.Stop();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        listener.Dispose();
        return ValueTask.CompletedTask;
    }
}
