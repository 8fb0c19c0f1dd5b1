using Xunit;

namespace Flow.Hosting.Tests.Control;

/// <summary>Who owns a control socket path: live endpoints keep it, stale sockets are replaced, other files are never touched.</summary>
public sealed class ControlEndpointSocketTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flowctl-").FullName;

    private string SocketPath => Path.Combine(_directory, "g.sock");

    private static FlowGraph IdleGraph() => new GraphBuilder()
        .Worker(0, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(5)))
        .Add("gen", new Generator(new GeneratorOptions { Count = 10 }))
        .Add("sink", new NullSink())
        .Connect("gen", "sink")
        .Build();

    [Fact]
    public async Task ASecondEndpointOnALiveSocketIsRefusedAndTheFirstKeepsServing()
    {
        await using FlowGraph first = IdleGraph();
        await using FlowGraph second = IdleGraph();
        await using ControlEndpoint owner = ControlEndpoint.Start(SocketPath, first);

        var e = Assert.Throws<ControlEndpointException>(() => ControlEndpoint.Start(SocketPath, second));

        Assert.Equal($"another running graph owns the control socket '{SocketPath}' (it answers there); stop that one, or give this one another path with --control", e.Message);
        Assert.True((await ControlClient.SendAsync(SocketPath, "stages")).Ok);
    }

    [Fact]
    public async Task AHostedGraphWhoseSocketIsOwnedDoesNotStart()
    {
        await using FlowGraph first = IdleGraph();
        await using ControlEndpoint owner = ControlEndpoint.Start(SocketPath, first);
        Microsoft.Extensions.Hosting.HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Services.AddFlowGraph(_ => new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(5)))
            .Add("gen", new Generator(new GeneratorOptions { RatePps = 100 }))
            .Add("sink", new NullSink())
            .Connect("gen", "sink"), options => options.ControlSocket = SocketPath);
        using Microsoft.Extensions.Hosting.IHost host = builder.Build();

        var e = await Assert.ThrowsAsync<ControlEndpointException>(() => host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.StartsWith("another running graph owns the control socket", e.Message);
        Assert.True((await ControlClient.SendAsync(SocketPath, "help")).Ok, "the owner stopped answering");
    }

    [Fact]
    public async Task AStaleSocketIsReplaced()
    {
        // A process that listened and died without unlinking its socket (.NET unlinks on Dispose; Python does not).
        using (var python = System.Diagnostics.Process.Start("python3",
            ["-c", $"import socket; s = socket.socket(socket.AF_UNIX); s.bind('{SocketPath}'); s.listen(1)"]))
        {
            Assert.True(python.WaitForExit(TimeSpan.FromSeconds(30)) && python.ExitCode == 0, "python3 could not make a socket (python3 is a prerequisite)");
        }
        Assert.True(File.Exists(SocketPath), "the dead process's socket file should be left behind");
        var ex = await Assert.ThrowsAsync<ControlEndpointException>(() => ControlClient.ConnectAsync(SocketPath));
        Assert.Contains("nobody answers there", ex.Message);

        await using FlowGraph graph = IdleGraph();
        await using (ControlEndpoint endpoint = ControlEndpoint.Start(SocketPath, graph))
        {
            Assert.True((await ControlClient.SendAsync(SocketPath, "help")).Ok);
        }
        Assert.False(File.Exists(SocketPath));
    }

    [Fact]
    public async Task AFileThatIsNotASocketIsNeverReplaced()
    {
        await File.WriteAllTextAsync(SocketPath, "precious");
        await using FlowGraph graph = IdleGraph();

        var e = Assert.Throws<ControlEndpointException>(() => ControlEndpoint.Start(SocketPath, graph));

        Assert.Contains("exists and is not a socket", e.Message);
        Assert.Equal("precious", await File.ReadAllTextAsync(SocketPath));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task TheSocketIsOwnerOnlyAndItsDirectoryIsCreated()
    {
        string path = Path.Combine(_directory, "sub", "g.sock");
        await using FlowGraph graph = IdleGraph();
        await using ControlEndpoint endpoint = ControlEndpoint.Start(path, graph);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task ConnectingWhereNothingListensSaysSo()
    {
        var e = await Assert.ThrowsAsync<ControlEndpointException>(() => ControlClient.ConnectAsync(SocketPath));
        Assert.Equal($"cannot reach the control socket '{SocketPath}': it does not exist", e.Message);
    }

    [Fact]
    public void DefaultPathIsUnderRunFlowForRootNamedAfterTheGraph()
    {
        Assert.Equal(Path.Combine(ControlEndpoint.DefaultDirectory, "switch.sock"), ControlEndpoint.DefaultPath("switch"));
        Assert.Equal(Path.Combine(ControlEndpoint.DefaultDirectory, "my_graph_1.sock"), ControlEndpoint.DefaultPath("my graph/1"));
        string? runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        string? chosen = Environment.GetEnvironmentVariable("FLOW_CONTROL_DIR");
        string expected = !string.IsNullOrEmpty(chosen) ? chosen : Environment.IsPrivilegedProcess ? "/run/flow"
            : !string.IsNullOrEmpty(runtime) ? Path.Combine(runtime, "flow") : Path.Combine(Path.GetTempPath(), "flow-" + Interop.Sys.GetEUid());
        Assert.Equal(expected, ControlEndpoint.DefaultDirectory);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
