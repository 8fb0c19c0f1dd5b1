using System.Diagnostics;
using System.Security.Cryptography;
using Flow.TestKit;
using Xunit;

namespace Flow.Net.Tests.Tcp;

/// <summary>HttpClient over Flow's stack (<see cref="FlowHttp.CreateHandler"/>) against Python's HTTP server on a Linux host.</summary>
[Collection(nameof(NetnsCollection))]
public sealed class HttpClientNetnsTests
{
    [Fact]
    public async Task HttpClientOnTheStackDownloadsAFileIntactFromALinuxServer()
    {
        using var host = new StackHost();
        string directory = host.Host.Exec("mktemp", "-d").Trim();
        host.Host.Exec("dd", "if=/dev/urandom", $"of={directory}/file.bin", "bs=1M", "count=2", "status=none");
        string expected = host.Host.Exec("sha256sum", $"{directory}/file.bin").Split(' ')[0];
        Process server = host.Host.Begin(Shell.Python, "-m", "http.server", "8000", "--bind", StackHost.HostAddress, "--directory", directory);
        try
        {
            await Waits.Until(() => host.Host.Exec("ss", "-Htln", "sport = :8000").Contains("8000", StringComparison.Ordinal), "the Linux HTTP server listens on 8000");
            using var client = new HttpClient(FlowHttp.CreateHandler(host.Stack)) { Timeout = TimeSpan.FromSeconds(60) };
            byte[] first = await client.GetByteArrayAsync($"http://{StackHost.HostAddress}:8000/file.bin");
            byte[] second = await client.GetByteArrayAsync($"http://{StackHost.HostAddress}:8000/file.bin");
            Assert.Equal(expected, Convert.ToHexStringLower(SHA256.HashData(first)));
            Assert.Equal(expected, Convert.ToHexStringLower(SHA256.HashData(second)));
            using HttpResponseMessage missing = await client.GetAsync($"http://{StackHost.HostAddress}:8000/nothing-here");
            Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
        }
        finally
        {
            server.Kill();
            host.Host.Exec("rm", "-rf", directory);
        }
    }
}
