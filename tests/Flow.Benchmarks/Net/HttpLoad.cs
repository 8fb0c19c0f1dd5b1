using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Flow.Net.Kestrel;
using Flow.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Flow.Benchmarks.Net;

/// <summary>
/// The <c>stack</c> scenario's HTTP part: the same minimal ASP.NET Core app on Kestrel over kernel
/// sockets (started from the kernel host's namespace, so its listening socket lives there) and on
/// Kestrel over Flow's stack, and one HttpClient load from the client namespace (its sockets made
/// there) keeping a number of requests in flight on HTTP/1.1 keep-alive connections, every body checked.
/// </summary>
internal static class HttpLoad
{
    public const string Body = "hello from the benchmark";

    public static WebApplication StartApp(string url, Action<IWebHostBuilder>? transport, NetnsThread? startIn)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        transport?.Invoke(builder.WebHost);
        WebApplication app = builder.Build();
        app.MapGet("/hello", () => Body);
        app.Urls.Add(url);
        // Kestrel's socket transport makes its listening socket while StartAsync runs on the caller: from the namespace thread it is made there.
        if (startIn is null)
        {
            app.StartAsync().GetAwaiter().GetResult();
        }
        else
        {
            startIn.Invoke(() =>
            {
                app.StartAsync().GetAwaiter().GetResult();
                return 0;
            });
        }
        return app;
    }

    public static Action<IWebHostBuilder> OnFlow(Flow.Net.FlowStack stack) => web => web.UseFlow(stack);

    /// <summary>An HttpClient whose connections are kernel sockets made in <paramref name="clientNamespace"/>.</summary>
    public static HttpClient Client(NetnsThread clientNamespace) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 64,
        ConnectCallback = async (context, cancellationToken) =>
        {
            Socket socket = clientNamespace.Invoke(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true });
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(context.DnsEndPoint.Host), context.DnsEndPoint.Port), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
    });

    /// <summary><paramref name="concurrency"/> request loops for <paramref name="duration"/>; returns responses per second, counts wrong ones.</summary>
    public static double Run(HttpClient client, string url, int concurrency, TimeSpan duration, ref long wrong)
    {
        long ok = 0;
        long bad = 0;
        var clock = Stopwatch.StartNew();
        Task[] loops = [.. Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                string body = await client.GetStringAsync(url);
                if (body == Body)
                {
                    Interlocked.Increment(ref ok);
                }
                else
                {
                    Interlocked.Increment(ref bad);
                }
            }
        }))];
        Task.WaitAll(loops);
        wrong += bad;
        return ok / clock.Elapsed.TotalSeconds;
    }
}
