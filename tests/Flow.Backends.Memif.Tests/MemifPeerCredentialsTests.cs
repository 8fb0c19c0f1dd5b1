using Flow.Backends.Memif.Internal;
using Flow.Backends.Memif.Tests.Peers;
using Xunit;

namespace Flow.Backends.Memif.Tests;

/// <summary>Who may be a peer (SO_PEERCRED allow-lists), where the socket lives, and what a stage may share.</summary>
[Collection(nameof(MemifCollection))]
public class MemifPeerCredentialsTests
{
    [Fact]
    public void AServerRefusesAClientWhoseUserIsNotAllowedBeforeTheHandshakeStarts()
    {
        string socket = MemifTestNames.Socket("untrusted-client");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, AllowedUids = [4242] });
        using (HostileMemifClient peer = HostileMemifClient.ConnectSilently(socket))
        {
            Assert.Matches(@"^peer pid \d+ uid 0 gid 0 is not in the allowed uids/gids$", peer.ExpectDisconnect());
        }
        Assert.Equal(1, server.RejectedPeers);
        Assert.False(Volatile.Read(ref server.IsClaimed));
    }

    [Fact]
    public void AnAllowedGroupAdmitsAPeerWhoseUserIsNotListed()
    {
        string socket = MemifTestNames.Socket("group");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, AllowedUids = [4242], AllowedGids = [0] });
        using MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, AllowedUids = [4242], AllowedGids = [0] });
        Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);
        Assert.Equal(0, server.RejectedPeers + client.RejectedPeers);
    }

    [Fact]
    public void ByDefaultRootAndFlowsOwnUserAreAllowedAndNobodyElse()
    {
        var defaults = new MemifOptions();
        Assert.True(MemifPeerCheck.Allows(defaults, 0, 0));
        Assert.True(MemifPeerCheck.Allows(defaults, Interop.Sys.GetEUid(), 4242));
        Assert.False(MemifPeerCheck.Allows(defaults, 4242, 4242));
    }

    [Fact]
    public void ABufferRegionSeenByOneOtherUserIsNeverShownToASecond()
    {
        MemifBufferGroup group = MemifBufferGroup.CreatePrivate("exposure", 64, 2048);
        try
        {
            Assert.True(group.TryExposeTo(4242, out _));
            Assert.True(group.TryExposeTo(4242, out _));
            Assert.False(group.TryExposeTo(4243, out uint earlier));
            Assert.Equal(4242u, earlier);
            Assert.True(group.TryExposeTo(0, out _), "root can read Flow's memory anyway");
        }
        finally
        {
            group.Leave();
        }
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void TheDefaultSocketIsAFileInADirectoryCreatedForRootAndGroupOnly()
    {
        var defaults = new MemifOptions();
        Assert.False(defaults.Abstract);
        Assert.Equal("/run/flow/memif/memif.sock", defaults.Socket);

        string directory = $"{MemifTestNames.Directory}/dir-{Guid.NewGuid():N}";
        string socket = $"{directory}/x.sock";
        try
        {
            using (MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server }))
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute,
                    File.GetUnixFileMode(directory));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(socket));
            }
            Assert.False(File.Exists(socket), "the socket file is removed with the last server interface");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void AStaleSocketFileIsReplacedButALiveSocketOrAPlainFileIsNot()
    {
        string socket = MemifTestNames.Socket("claim");
        using (var live = HostileMemifServer.Listen(socket))
        {
            var inUse = Assert.Throws<IOException>(() => MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server }));
            Assert.Contains("in use by another server", inUse.Message);
        }
        // Stale: a socket file nobody listens on (a crashed server's).
        using (var stale = HostileMemifServer.Listen(socket))
        {
            stale.CloseKeepingFile();
        }
        using (MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server }))
        using (MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client }))
        {
            Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);
        }
        File.WriteAllText(socket, "not a socket");
        try
        {
            var notSocket = Assert.Throws<IOException>(() => MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server }));
            Assert.Contains("is not a socket", notSocket.Message);
            Assert.Equal("not a socket", File.ReadAllText(socket));
        }
        finally
        {
            File.Delete(socket);
        }
    }

    [Fact]
    public void StagesOfOneInterfaceWithDifferentOptionsAreRefused()
    {
        var options = new MemifOptions { Socket = MemifTestNames.Socket("mismatch"), Role = MemifRole.Server, AllowedGids = [7] };
        using var rx = new MemifRx(options);
        using var tx = new MemifTx(options with { AllowedGids = [7] }); // equal lists, other instances: the same interface
        Assert.Same(rx.Interface, tx.Interface);
        var error = Assert.Throws<ArgumentException>(() => new MemifTx(options with { Secret = "tx-secret" }));
        Assert.Contains($"memif interface server:{options.Socket}#0 is already open with other options", error.Message, StringComparison.Ordinal);
        Assert.Contains("AllowedGids = [7]", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("tx-secret", error.Message, StringComparison.Ordinal); // secrets stay out of logs
        Assert.Contains("Secret = (hidden)", error.Message, StringComparison.Ordinal);
    }
}
