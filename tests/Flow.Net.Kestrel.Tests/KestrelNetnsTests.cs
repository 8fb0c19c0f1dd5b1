using System.Security.Cryptography;
using Flow.Net.Tests;
using Flow.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Flow.Net.Kestrel.Tests;

/// <summary>
/// Kestrel serving HTTP over Flow's stack (<see cref="FlowWebHostExtensions.UseFlow"/>) to curl on
/// a Linux host in a namespace (<see cref="StackHost"/>): a page, a megabyte checked by SHA-256,
/// two requests on one kept-alive connection, a POST echoed back.
/// </summary>
public sealed class KestrelNetnsTests
{
    [Fact]
    public async Task CurlOnLinuxGetsPagesFromKestrelOnTheStack()
    {
        using var host = new StackHost();
        Shell.Require("curl", "curl");
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseFlow(host.Stack);
        await using WebApplication app = builder.Build();
        app.MapGet("/hello", () => "hello from flow");
        app.MapGet("/bytes/{n:int}", (int n) => Results.Bytes(Pattern(n), "application/octet-stream"));
        app.MapPost("/echo", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            return Results.Bytes(body.ToArray(), "application/octet-stream");
        });
        app.Urls.Add($"http://{StackHost.StackAddress}:8080");
        await app.StartAsync();

        string url = $"http://{StackHost.StackAddress}:8080";
        Assert.Equal("hello from flow", Curl(host, "-sS", "--max-time", "20", url + "/hello"));

        string expected = Convert.ToHexStringLower(SHA256.HashData(Pattern(1 << 20)));
        string megabyte = Curl(host, "-sS", "--max-time", "30", "-o", "/tmp/flow-kestrel-body", url + $"/bytes/{1 << 20}", "-w", "%{size_download}");
        Assert.Equal((1 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), megabyte);
        Assert.StartsWith(expected, host.Host.Exec("sha256sum", "/tmp/flow-kestrel-body"), StringComparison.Ordinal);

        // Two requests in one curl: the second reuses the first's connection (HTTP/1.1 keep-alive).
        ShellResult both = host.Host.TryExec(TimeSpan.FromSeconds(40), "curl", "-sS", "-v", "--max-time", "20", url + "/hello", url + "/hello");
        Assert.Equal("hello from flowhello from flow", both.StandardOutput);
        Assert.Contains("Re-using existing connection", both.StandardError, StringComparison.Ordinal);

        string posted = Curl(host, "-sS", "--max-time", "20", "--data-binary", "a body to echo", url + "/echo");
        Assert.Equal("a body to echo", posted);
        await app.StopAsync();
    }

    /// <summary>Bytes that differ at every position of a long run (a shift or a lost segment changes the hash).</summary>
    private static byte[] Pattern(int length)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 7 + (i >> 8));
        }
        return bytes;
    }

    private static string Curl(StackHost host, params string[] arguments)
    {
        ShellResult result = host.Host.TryExec(TimeSpan.FromSeconds(40), ["curl", .. arguments]);
        Assert.True(result.ExitCode == 0, $"curl {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.StandardError}");
        return result.StandardOutput;
    }
}
