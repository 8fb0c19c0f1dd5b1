using System.Net.Sockets;
using Xunit;

namespace Flow.Cli.Tests;

public sealed class ValidateCommandTests
{
    [Fact]
    public async Task EveryPipelineIsValid()
    {
        string[] files = Directory.GetFiles(Path.Combine(FlowProcess.RepositoryRoot, "pipelines"), "*.json")
            .Select(f => Path.GetRelativePath(FlowProcess.RepositoryRoot, f)).Order(StringComparer.Ordinal).ToArray();
        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(60, ["validate", .. files]);
        Assert.True(code == 0, stderr);
        foreach (string file in files)
        {
            Assert.Contains($"{file}: valid (", stdout);
        }
    }

    [Fact]
    public async Task BadFilePrintsEveryErrorWithPositionAndExitsFour()
    {
        using var graph = new TempGraph("""
            {
              "stages": {
                "gen": { "type": "generatr" },
                "count": { "type": "counter", "config": { "verbose": true } },
                "sink": { "type": "null_sink" }
              },
              "edges": ["gen -> count", "count -> sink"]
            }
            """, "bad.json");

        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(60, "validate", graph.Path);

        Assert.Equal(4, code);
        Assert.Equal("", stdout);
        // The list of known types grows with every backend; the rest of each line is exact.
        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith($"{graph.Path}:3:22: $.stages.gen.type: unknown stage type 'generatr' (did you mean 'generator'?); expected one of: ", lines[0]);
        Assert.Contains(" channel_sink, channel_source, counter, dhcp_client, dhcp_server, dpdk_rx, dpdk_tx, drop, eth_classify, generator, ", lines[0]);
        Assert.Contains(" arp, arp_resolve, ", lines[0]); // the router's stages are flow's too
        Assert.Contains(" ipv4_forward, ipv4_input, ipv4_local, ipv4_lookup, ipv4_output, ", lines[0]);
        Assert.EndsWith(". Stage types come from registered backends and from 'assemblies'", lines[0]);
        Assert.Equal($"{graph.Path}:4:47: $.stages.count.config.verbose: unknown config key 'verbose' for stage type 'counter'; expected one of: (none: this stage type takes no config keys)", lines[1]);
        Assert.Equal($"flow: {graph.Path} is not a valid graph file (2 errors)", lines[2]);
    }

    /// <summary>
    /// A memif server whose socket path is a live socket, and a pcap_tx whose file holds data:
    /// checking or drawing the graph must neither unlink the socket nor truncate the file.
    /// </summary>
    [Theory]
    [InlineData("validate")]
    [InlineData("graph")]
    public async Task CheckingTouchesNoSocketOrFileTheGraphNames(string verb)
    {
        using var graph = new TempGraph("{}", "touch.json");
        string directory = Path.GetDirectoryName(graph.Path)!;
        string socketPath = Path.Combine(directory, "live.sock");
        string pcapPath = Path.Combine(directory, "keep.pcap");
        using var live = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        live.Bind(new UnixDomainSocketEndPoint(socketPath));
        live.Listen(1);
        File.WriteAllText(pcapPath, "not a pcap file, and it must stay this way");
        File.WriteAllText(graph.Path, $$"""
            {
              "stages": {
                "rx": { "type": "memif_rx", "config": { "role": "server", "abstract": false, "socket": "{{socketPath}}" } },
                "tx": { "type": "pcap_tx", "config": { "path": "{{pcapPath}}" } }
              },
              "edges": ["rx -> tx"]
            }
            """);

        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(60, verb, graph.Path);

        Assert.True(code == 0, stderr);
        Assert.Contains(verb == "validate" ? "valid (2 stages, 1 edges, 1 worker)" : "\"rx\" -> \"tx\" [label=\"out\"];", stdout);
        Assert.Equal("not a pcap file, and it must stay this way", File.ReadAllText(pcapPath));
        // Still our socket at that path: a client connects to it.
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(socketPath));
    }

    [Fact]
    public async Task BackendWiringErrorsAreStillReported()
    {
        using var graph = new TempGraph("""
            {
              "stages": {
                "rx": { "type": "memif_rx", "config": { "role": "server", "abstract": false, "socket": "/nonexistent/dir/x.sock" } },
                "tx": { "type": "pcap_tx", "config": { "path": "/nonexistent/dir/x.pcap" } }
              },
              "edges": ["rx:in -> tx"]
            }
            """, "wiring.json");

        (int code, _, string stderr) = await FlowProcess.RunAsync(60, "validate", graph.Path);

        Assert.Equal(4, code);
        Assert.Contains("$.edges[0]: edge rx:in -> tx: stage 'rx' (memif_rx) has no port 'in'; its ports are out", stderr);
    }

    [Fact]
    public async Task AssembliesAreRefusedWithoutAllowAssemblies()
    {
        using var graph = new TempGraph("""
            {
              "assemblies": ["stages.dll"],
              "stages": { "gen": { "type": "generator" }, "sink": { "type": "null_sink" } },
              "edges": ["gen -> sink"]
            }
            """, "asm.json");

        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(60, "validate", graph.Path);

        Assert.Equal(4, code);
        Assert.Equal("", stdout);
        Assert.Equal(
            $"{graph.Path}:2:17: $.assemblies: refusing to load 'assemblies' while checking a graph: loading an assembly runs its code. " +
            "Allow it only for a graph file and assemblies you trust (flow validate/graph --allow-assemblies)\n" +
            $"flow: {graph.Path} is not a valid graph file (1 error)\n", stderr);
    }

    [Fact]
    public async Task MissingFileExitsThree()
    {
        (int code, _, string stderr) = await FlowProcess.RunAsync(60, "validate", "no/such/graph.json");
        Assert.Equal(3, code);
        Assert.Equal("flow: 'no/such/graph.json' does not exist\n", stderr);
    }

    [Fact]
    public async Task UnknownVerbExitsTwoWithoutAStackTrace()
    {
        (int code, _, string stderr) = await FlowProcess.RunAsync(60, "valdate", "x.json");
        Assert.Equal(2, code);
        Assert.Contains("flow: Unrecognized command or argument 'valdate'.", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }
}
