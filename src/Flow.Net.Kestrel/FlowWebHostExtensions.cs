using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Net.Kestrel;

/// <summary>Kestrel on Flow's stack: <c>builder.WebHost.UseFlow(stack)</c>.</summary>
public static class FlowWebHostExtensions
{
    /// <summary>
    /// Makes Kestrel accept its connections from <paramref name="stack"/> instead of kernel
    /// sockets: every endpoint Kestrel binds (<c>app.Urls</c>, <c>ListenAnyIP</c>, …) becomes a
    /// <see cref="Tcp.FlowTcpListener"/> on the stack; HTTP/1.1, HTTP/2 and TLS run on top unchanged.
    /// </summary>
    public static IWebHostBuilder UseFlow(this IWebHostBuilder builder, FlowStack stack)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(stack);
        return builder.ConfigureServices(services => services.AddSingleton<IConnectionListenerFactory>(new FlowConnectionListenerFactory(stack)));
    }
}
