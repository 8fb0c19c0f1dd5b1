using Xunit;

namespace Flow.Hosting.Tests.Control;

/// <summary>Tests that set <c>FLOW_CONTROL_DIR</c> for the whole process: run alone, after the rest.</summary>
[CollectionDefinition(nameof(ControlDirectoryEnvironment), DisableParallelization = true)]
public sealed class ControlDirectoryEnvironment;

/// <summary>
/// The default control-socket directory (in /tmp for a user without XDG_RUNTIME_DIR) is made
/// private, and one that another user could have prepared — a symlink, someone else's, open to
/// group or others — is refused before any socket is put in it, and clients refuse to connect
/// to a socket in one. Tests run as root; "someone else" is uid 65534 (nobody).
/// </summary>
[Collection(nameof(ControlDirectoryEnvironment))]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ControlEndpointDirectoryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("flowdir-").FullName;
    private readonly string? _saved = Environment.GetEnvironmentVariable("FLOW_CONTROL_DIR");

    private string ControlDir => Path.Combine(_root, "flow-ctl");

    private static FlowGraph IdleGraph() => new GraphBuilder()
        .Worker(0, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(5)))
        .Add("gen", new Generator(new GeneratorOptions { Count = 10 }))
        .Add("sink", new NullSink())
        .Connect("gen", "sink")
        .Build();

    [Fact]
    public async Task AMissingDefaultDirectoryIsCreatedOwnerOnly()
    {
        Environment.SetEnvironmentVariable("FLOW_CONTROL_DIR", ControlDir);
        await using FlowGraph graph = IdleGraph();

        await using (ControlEndpoint endpoint = ControlEndpoint.Start(ControlEndpoint.DefaultPath("g"), graph))
        {
            Assert.True((await ControlClient.SendAsync(endpoint.Path, "stages")).Ok);
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(ControlDir));
    }

    [Fact]
    public async Task ASymlinkAsTheDefaultDirectoryIsRefused()
    {
        string target = Directory.CreateDirectory(Path.Combine(_root, "elsewhere"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute).FullName;
        Directory.CreateSymbolicLink(ControlDir, target);

        await AssertRefusedAsync($"the control socket's directory '{ControlDir}' is a symbolic link; refusing to put the control socket there " +
            "(remove it, or choose another place with FLOW_CONTROL_DIR or --control)");
        Assert.Empty(Directory.GetFileSystemEntries(target));
    }

    [Fact]
    public async Task ADefaultDirectoryOpenToOthersIsRefused()
    {
        Directory.CreateDirectory(ControlDir);
        File.SetUnixFileMode(ControlDir, (UnixFileMode)0x1FF); // 0777, as another user would leave it

        await AssertRefusedAsync($"the control socket's directory '{ControlDir}' has mode 0777, which lets group or others in; it must be 0700. " +
            "Refusing to put the control socket there (remove it, or choose another place with FLOW_CONTROL_DIR or --control)");
    }

    [Fact]
    public async Task ADefaultDirectoryOfAnotherUserIsRefused()
    {
        Directory.CreateDirectory(ControlDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.Equal(0, Chown(ControlDir, 65534, 65534));

        await AssertRefusedAsync($"the control socket's directory '{ControlDir}' is owned by uid 65534, not by this user (uid 0); " +
            "refusing to put the control socket there (remove it, or choose another place with FLOW_CONTROL_DIR or --control)");
    }

    [Fact]
    public async Task AClientRefusesASocketInADefaultDirectoryOpenToOthers()
    {
        // Another user made the folder first and listens in it, waiting for 'flow ctl'.
        Directory.CreateDirectory(ControlDir);
        File.SetUnixFileMode(ControlDir, (UnixFileMode)0x1FF);
        using var impostor = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream,
            System.Net.Sockets.ProtocolType.Unspecified);
        impostor.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(Path.Combine(ControlDir, "g.sock")));
        impostor.Listen(1);
        Environment.SetEnvironmentVariable("FLOW_CONTROL_DIR", ControlDir);

        var e = await Assert.ThrowsAsync<ControlEndpointException>(() => ControlClient.ConnectAsync(ControlEndpoint.DefaultPath("g")));

        Assert.Equal($"the control socket's directory '{ControlDir}' has mode 0777, which lets group or others in; it must be 0700. " +
            "Refusing to connect to a control socket in it (another user could have put it there)", e.Message);
    }

    private async Task AssertRefusedAsync(string message)
    {
        Environment.SetEnvironmentVariable("FLOW_CONTROL_DIR", ControlDir);
        await using FlowGraph graph = IdleGraph();

        var e = Assert.Throws<ControlEndpointException>(() => ControlEndpoint.Start(ControlEndpoint.DefaultPath("g"), graph));

        Assert.Equal(message, e.Message);
        Assert.False(File.Exists(Path.Combine(ControlDir, "g.sock")));
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    private static extern int Chown(string path, int owner, int group);

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("FLOW_CONTROL_DIR", _saved);
        Directory.Delete(_root, recursive: true);
    }
}
