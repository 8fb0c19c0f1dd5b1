using Xunit;

namespace Flow.Backends.Memif.Tests;

/// <summary>
/// The interfaces the rx and tx stages share and the listening socket server interfaces share:
/// opened by the first user, alive while any user holds them, closed by the last.
/// </summary>
[Collection(nameof(MemifCollection))]
public class MemifSharedInterfaceTests
{
    [Fact]
    public void AnInterfaceLivesUntilItsLastStageIsDisposedAndItsNameThenOpensAgainWithOtherOptions()
    {
        string socket = MemifTestNames.Socket("shared");
        var options = new MemifOptions { Socket = socket, Role = MemifRole.Server, Secret = "first" };
        var rx = new MemifRx(options);
        var tx = new MemifTx(options);
        Assert.Same(rx.Interface, tx.Interface);

        rx.Dispose();
        Assert.True(File.Exists(socket)); // tx still holds the interface and so its listener
        using (MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = socket, Secret = "first" }))
        {
            Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);
        }

        tx.Dispose();
        Assert.False(File.Exists(socket)); // the last stage closed the interface and the listener removed its file
        using var again = new MemifRx(options with { Secret = "second" });
        Assert.NotSame(tx.Interface, again.Interface);
        Assert.Equal("second", again.Interface.Options.Secret);
    }

    [Fact]
    public void ServerInterfacesOfOneSocketShareItsListenerUntilTheLastOneCloses()
    {
        string socket = MemifTestNames.Socket("listener");
        MemifInterface first = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = 1 });
        using MemifInterface second = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = 2 });
        var duplicate = Assert.Throws<InvalidOperationException>(() =>
            MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = 2 }));
        Assert.Contains("already has a server interface with id 2", duplicate.Message);

        first.Dispose();
        using MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = socket, InterfaceId = 2 });
        Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);
        Assert.Equal(1, second.Connections);
    }
}
