using System.Diagnostics;
using Xunit;

namespace Flow.Hosting.Tests.Control;

/// <summary>
/// <c>capture start|stop|show</c> over the real control socket against a running graph; the
/// files are read back with tshark, as a person would.
/// </summary>
/// <remarks>
/// <code>
///   gen_udp  (10.0.0.1 > 10.0.0.2 UDP, flat out) ─┐
///                                                 ├─ count ─ sink        capture count:out
///   gen_icmp (10.0.0.3 > 10.0.0.4 ICMP echo) ─────┘
/// </code>
/// </remarks>
public sealed class CaptureControlTests : IDisposable
{
    /// <summary>An ICMP echo request 10.0.0.3 > 10.0.0.4, id 0x1234 seq 1, checksums valid.</summary>
    private const string IcmpEcho = "02000000000402000000000308004500003c00010000400166ba0a0000030a0000040800319d12340001666c6f772d74726163652d69636d7021666c6f772d74726163652d69636d7021";

    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private readonly string _directory = Directory.CreateTempSubdirectory("flowcap-").FullName;

    private string SocketPath => Path.Combine(_directory, "g.sock");

    [Fact]
    public async Task CaptureOfABusyEdgeWithAFilterOpensInTsharkWithOnlyTheMatchingPackets()
    {
        await using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding)
            .Add("gen_udp", new Generator(new GeneratorOptions()))
            .Add("gen_icmp", new Generator(new GeneratorOptions { Template = IcmpEcho, RatePps = 5_000 }))
            .Add("count", new Counter())
            .Add("sink", new NullSink())
            .Connect("gen_udp", "count").Connect("gen_icmp", "count").Connect("count", "sink")
            .Build();
        graph.Start();
        string file = Path.Combine(_directory, "icmp.pcapng");
        await using (ControlEndpoint endpoint = ControlEndpoint.Start(SocketPath, graph))
        {
            await using ControlClient client = await ControlClient.ConnectAsync(endpoint.Path);
            ControlResponse start = await client.SendWordsAsync(["capture", "start", "count:out", file],
                new Dictionary<string, string> { ["count"] = "500", ["filter"] = "icmp and host 10.0.0.4" });
            Assert.True(start.Ok, start.Json);
            Assert.Equal($"capturing count:out to {file}, 500 packets, filter 'icmp and host 10.0.0.4'", start.Message);
            await WaitUntilAsync(async () => (await client.SendWordsAsync(["capture", "show"])).Message!.Contains(" done: ", StringComparison.Ordinal));
            ControlResponse stop = await client.SendWordsAsync(["capture", "stop"]);
            Assert.True(stop.Ok, stop.Json);
            Assert.StartsWith($"capture of count:out to {file} done: 500 packets written, ", stop.Message);
        }
        // The filter had work to do: far more UDP than ICMP crossed the edge meanwhile.
        long crossed = graph.GetStats().Stage("count").In;
        Assert.True(crossed > 20 * 500, $"only {crossed} packets crossed count:out while 500 ICMP were captured");
        await graph.StopAsync(drain: true).WaitAsync(Limit);

        string[] lines = await TsharkAsync(file, "frame.interface_name", "ip.src", "ip.dst", "icmp.type", "frame.len");
        Assert.Equal(500, lines.Length);
        Assert.All(lines, line => Assert.Equal("count:out\t10.0.0.3\t10.0.0.4\t8\t74", line));
        Assert.True(graph.GetStats().IsBalanced);
    }

    [Fact]
    public async Task DropsCaptureCarriesEachDropReasonAsThePacketComment()
    {
        await using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding)
            .Add("gen", new Generator(new GeneratorOptions { RatePps = 10_000 }))
            .Add("drop", new Dropper())
            .Connect("gen", "drop")
            .Build();
        graph.Start();
        string file = Path.Combine(_directory, "drops.pcapng");
        await using (ControlEndpoint endpoint = ControlEndpoint.Start(SocketPath, graph))
        {
            await using ControlClient client = await ControlClient.ConnectAsync(endpoint.Path);
            ControlResponse start = await client.SendWordsAsync(["capture", "start", "drop", file],
                new Dictionary<string, string> { ["count"] = "20", ["drops"] = "all" });
            Assert.True(start.Ok, start.Json);
            await WaitUntilAsync(async () => (await client.SendWordsAsync(["capture", "show"])).Message!.Contains(" done: ", StringComparison.Ordinal));
            Assert.True((await client.SendWordsAsync(["capture", "stop"])).Ok);
        }
        await graph.StopAsync(drain: true).WaitAsync(Limit);

        string[] lines = await TsharkAsync(file, "frame.interface_name", "frame.comment", "udp.dstport");
        Assert.Equal(20, lines.Length);
        Assert.All(lines, line => Assert.Equal("drop:drop\tdropped by drop: dropped (dropped by the graph's configuration)\t1024", line));
    }

    [Fact]
    public async Task CaptureRefusesSymlinksExistingFilesRelativePathsAndBadFiltersWithReasons()
    {
        await using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(5)))
            .Add("gen", new Generator(new GeneratorOptions { RatePps = 1000 }))
            .Add("sink", new NullSink())
            .Connect("gen", "sink")
            .Build();
        graph.Start();
        string target = Path.Combine(_directory, "target");
        File.WriteAllText(target, "keep me");
        string link = Path.Combine(_directory, "link.pcapng");
        File.CreateSymbolicLink(link, Path.Combine(_directory, "elsewhere.pcapng"));
        await using (ControlEndpoint endpoint = ControlEndpoint.Start(SocketPath, graph))
        {
            await using ControlClient client = await ControlClient.ConnectAsync(endpoint.Path);
            async Task<string> Refusal(string edge, string file, Dictionary<string, string>? arguments = null)
            {
                ControlResponse reply = await client.SendWordsAsync(["capture", "start", edge, file], arguments ?? []);
                Assert.False(reply.Ok, reply.Json);
                return reply.Message!;
            }
            Assert.Equal($"'{link}' exists; a capture never replaces a file", await Refusal("gen:out", link));
            Assert.Equal($"'{target}' exists; a capture never replaces a file", await Refusal("gen:out", target));
            Assert.Equal("capture file 'x.pcapng' is not an absolute path (the graph does not know your working directory)", await Refusal("gen:out", "x.pcapng"));
            Assert.Equal("stage 'gen' has no port 'nope'; its ports are out", await Refusal("gen:nope", Path.Combine(_directory, "a.pcapng")));
            Assert.Equal("no stage named 'ghost'; 'stages' lists them", await Refusal("ghost", Path.Combine(_directory, "a.pcapng")));
            Assert.Equal("filter: 'bogus' is not a filter primitive (ip, ip6, arp, icmp, icmp6, tcp, udp, host, net, port, vlan, ether, an address or a MAC)",
                await Refusal("gen:out", Path.Combine(_directory, "a.pcapng"), new() { ["filter"] = "udp and bogus" }));
            Assert.Equal("no capture is running", (await client.SendWordsAsync(["capture", "stop"])).Message);
        }
        Assert.Equal("keep me", File.ReadAllText(target));
        Assert.False(File.Exists(Path.Combine(_directory, "elsewhere.pcapng")), "the capture followed the symlink");
        Assert.False(File.Exists(Path.Combine(_directory, "a.pcapng")));
        await graph.StopAsync(drain: true).WaitAsync(Limit);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task CaptureFileBelongsToTheCallerAndOnlyGoesWhereTheCallerMayWrite()
    {
        Assert.True(Environment.IsPrivilegedProcess, "this test needs root: it connects as uid 65534 (setpriv) to a graph running as root");
        const int Nobody = 65534;
        await using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(5)))
            .Add("gen", new Generator(new GeneratorOptions { RatePps = 2000 }))
            .Add("sink", new NullSink())
            .Connect("gen", "sink")
            .Build();
        graph.Start();
        File.SetUnixFileMode(_directory, (UnixFileMode)0x1FF); // 0777: nobody reaches the socket and the shared directory
        string theirs = Path.Combine(_directory, "nobody");
        Directory.CreateDirectory(theirs);
        Assert.Equal(0, await RunAsync("chown", $"{Nobody}:{Nobody} {theirs}"));
        string rootOnly = Path.Combine(_directory, "root-only");
        Directory.CreateDirectory(rootOnly);
        File.SetUnixFileMode(rootOnly, (UnixFileMode)0x1ED); // 0755
        await using (ControlEndpoint endpoint = ControlEndpoint.Start(SocketPath, graph))
        {
            File.SetUnixFileMode(SocketPath, (UnixFileMode)0x1FF);
            string allowed = Path.Combine(theirs, "mine.pcapng");
            string start = await AsNobodyAsync($$$"""{"id":1,"words":["capture","start","gen:out","{{{allowed}}}"],"args":{"count":"5"}}""");
            Assert.Contains("\"ok\":true", start);
            await using ControlClient client = await ControlClient.ConnectAsync(endpoint.Path);
            // Only once the first capture is done would a second one be weighed at all.
            await WaitUntilAsync(async () => (await client.SendWordsAsync(["capture", "show"])).Message!.Contains(" done: ", StringComparison.Ordinal));
            string refused = await AsNobodyAsync($$$"""{"id":2,"words":["capture","start","gen:out","{{{Path.Combine(rootOnly, "x.pcapng")}}}"]}""");
            Assert.Contains("\"ok\":false", refused);
            Assert.Contains($"you (uid {Nobody}) may not create", refused);
            Assert.True((await client.SendWordsAsync(["capture", "stop"])).Ok);
            Assert.True(FileOwner.Read(allowed, out uint owner, out uint group, out int mode));
            Assert.Equal((uint)Nobody, owner);
            Assert.Equal((uint)Nobody, group);
            Assert.Equal(0x180, mode & 0xFFF);
        }
        Assert.False(File.Exists(Path.Combine(rootOnly, "x.pcapng")));
        Assert.Equal(5, (await TsharkAsync(Path.Combine(theirs, "mine.pcapng"), "frame.len")).Length);
        await graph.StopAsync(drain: true).WaitAsync(Limit);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < Limit, "the capture did not finish in time");
            await Task.Delay(20);
        }
    }

    /// <summary>Sends one request line as uid/gid 65534 through socat; returns the reply line.</summary>
    private async Task<string> AsNobodyAsync(string request)
    {
        var start = new ProcessStartInfo("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "socat", "-t", "20", "-", $"UNIX-CONNECT:{SocketPath}"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("setpriv (util-linux) and socat are needed");
        await process.StandardInput.WriteLineAsync(request);
        process.StandardInput.Close();
        string output = await process.StandardOutput.ReadToEndAsync().WaitAsync(Limit);
        await process.WaitForExitAsync().WaitAsync(Limit);
        return output + await process.StandardError.ReadToEndAsync();
    }

    private static async Task<int> RunAsync(string program, string arguments)
    {
        using Process process = Process.Start(program, arguments);
        await process.WaitForExitAsync().WaitAsync(Limit);
        return process.ExitCode;
    }

    /// <summary>tshark -r <paramref name="file"/> -T fields: one line per packet, fields tab-separated.</summary>
    private static async Task<string[]> TsharkAsync(string file, params string[] fields)
    {
        var start = new ProcessStartInfo("tshark", ["-r", file, "-T", "fields", .. fields.SelectMany(f => new[] { "-e", f })])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("tshark is needed (apt-get install tshark)");
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync().WaitAsync(Limit);
        await process.WaitForExitAsync().WaitAsync(Limit);
        Assert.True(process.ExitCode == 0, $"tshark failed on {file}: {await error}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Owner, group and mode of a path itself, through stat(1) so the test needs no interop of its own.</summary>
    private static class FileOwner
    {
        public static bool Read(string path, out uint owner, out uint group, out int mode)
        {
            using Process process = Process.Start(new ProcessStartInfo("stat", ["-c", "%u %g %a", path]) { RedirectStandardOutput = true })!;
            string[] parts = process.StandardOutput.ReadToEnd().Split(' ', StringSplitOptions.TrimEntries);
            process.WaitForExit();
            owner = uint.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            group = uint.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            mode = Convert.ToInt32(parts[2], 8);
            return process.ExitCode == 0;
        }
    }
}
