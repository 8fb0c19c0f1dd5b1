using Flow.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Backends.Memif.Tests;

/// <summary>Socket names, secrets, option validation and DI registration.</summary>
[Collection(nameof(MemifCollection))]
public class MemifControlChannelTests
{
    [Fact]
    public async Task AFileSystemSocketWorksAsWellAsAnAbstractOne()
    {
        string path = Path.Combine(Path.GetTempPath(), $"flow-memif-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
        using (MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = path, Abstract = false, Role = MemifRole.Server }))
        using (MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = path, Abstract = false, Role = MemifRole.Client }))
        {
            Assert.True(File.Exists(path), "the server binds a socket file");
            Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);
            await MemifFlowPairTests.Transfer(client, server, 64, count: 200, queues: 1);
        }
        Assert.False(File.Exists(path), "the socket file is removed with the last server interface");
    }

    [Fact]
    public void AClientWithTheWrongSecretIsRefusedAndTheRightOneConnects()
    {
        string socket = MemifTestNames.Socket("secret");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, Secret = "s3cret" });
        using (MemifInterface wrong = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, Secret = "guess" }))
        {
            Assert.True(Waits.TryUntilBlocking(() => wrong.LastDisconnectReason is not null, MemifTestNames.Limit), "no refusal");
            Assert.Equal("peer refused: incorrect secret (after Init)", wrong.LastDisconnectReason);
            Assert.False(wrong.IsConnected);
        }
        using MemifInterface right = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, Secret = "s3cret" });
        Assert.True(right.WaitConnected(MemifTestNames.Limit), right.LastDisconnectReason);
        Assert.Equal("incorrect secret", server.LastDisconnectReason);
    }

    [Fact]
    public void QueuePairsAreNegotiatedDownToTheServersLimit()
    {
        string socket = MemifTestNames.Socket("negotiate");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, QueuePairs = 1, Log2RingSize = 8 });
        using MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, QueuePairs = 4, Log2RingSize = 12 });
        Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);
        Assert.Equal(1, client.ConnectedQueuePairs);
        Assert.Equal(256, client.ConnectedRingSize);
        Assert.Equal(256, server.ConnectedRingSize);
    }

    [Fact]
    public void InvalidOptionsAreReportedTogetherByName()
    {
        var error = Assert.Throws<ArgumentException>(() => MemifInterface.Create(new MemifOptions
        {
            QueuePairs = 0, Log2RingSize = 20, BufferSize = 100, Secret = new string('x', 30),
        }));
        Assert.Contains("QueuePairs", error.Message);
        Assert.Contains("Log2RingSize", error.Message);
        Assert.Contains("BufferSize", error.Message);
        Assert.Contains("Secret", error.Message);
    }

    [Fact]
    public void RxAndTxStagesFromTheSameOptionsShareOneInterfaceRegisteredByName()
    {
        var services = new ServiceCollection().AddFlow().AddFlowMemif().BuildServiceProvider();
        var registry = services.GetRequiredService<StageRegistry>();
        Assert.True(registry.TryGet("memif_rx", out StageRegistration rxType));
        Assert.True(registry.TryGet("memif_tx", out StageRegistration txType));
        var options = new MemifOptions { Socket = MemifTestNames.Socket("di"), Role = MemifRole.Server, InterfaceId = 2 };
        var rx = (MemifRx)rxType.Create(services, options);
        var tx = (MemifTx)txType.Create(services, options);
        try
        {
            Assert.Same(rx.Interface, tx.Interface);
        }
        finally
        {
            rx.Dispose();
            tx.Dispose();
        }
        using MemifInterface again = MemifInterface.Create(options); // the id is free again once both stages are gone
    }
}
