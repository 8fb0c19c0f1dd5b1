using System.Net;
using System.Net.Sockets;
using Flow.Net.Tcp;

namespace Flow.Net;

/// <summary>HttpClient over Flow's stack: a handler whose connections are Flow TCP streams.</summary>
public static class FlowHttp
{
    /// <summary>
    /// A <see cref="SocketsHttpHandler"/> that opens every connection on <paramref name="stack"/>
    /// (<see cref="SocketsHttpHandler.ConnectCallback"/>); HTTP/1.1, HTTP/2 and TLS run on top as
    /// they do on a kernel socket. Host names are resolved by the system resolver (the stack has
    /// no DNS client yet) and the first IPv4 address is used.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(FlowStack stack)
    {
        ArgumentNullException.ThrowIfNull(stack);
        return new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                IPAddress address = await ResolveAsync(context.DnsEndPoint.Host, cancellationToken).ConfigureAwait(false);
                FlowTcpStream stream = await stack.ConnectTcpAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken).ConfigureAwait(false);
                return stream;
            },
        };
    }

    private static async ValueTask<IPAddress> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out IPAddress? literal))
        {
            return literal.AddressFamily == AddressFamily.InterNetwork
                ? literal
                : throw new SocketException((int)SocketError.AddressFamilyNotSupported);
        }
        IPAddress[] addresses = await Dns.GetHostAddressesAsync(host, AddressFamily.InterNetwork, cancellationToken).ConfigureAwait(false);
        return addresses.Length > 0 ? addresses[0] : throw new SocketException((int)SocketError.HostNotFound);
    }
}
