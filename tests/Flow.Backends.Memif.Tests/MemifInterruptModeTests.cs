using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Memif.Tests;

/// <summary>
/// Rx interrupt mode: the receiver clears the ring's "don't interrupt" flag, the transmitter
/// signals the ring's eventfd once per burst, and a worker with the event idle policy sleeps in
/// poll(2) on <see cref="MemifRx.WakeupFd"/> until it does. Polling mode: the flag is set and the
/// transmitter never signals.
/// </summary>
[Collection(nameof(MemifCollection))]
public class MemifInterruptModeTests
{
    [Fact]
    public async Task AnEventIdleWorkerIsWokenByThePeersSignalAndReceivesEverything()
    {
        string socket = MemifTestNames.Socket("irq");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server });
        using MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, Interrupt = true });
        Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);

        var rx = new MemifRx(client, 0);
        Assert.True(rx.WakeupFd >= 0, "interrupt mode exposes the ring's eventfd");
        var capture = new CaptureSink();
        // The event timeout is longer than the test's own bound: only the eventfd can wake the worker in time.
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Event(TimeSpan.FromSeconds(60)))
            .Add("rx", rx).Add("capture", capture).Connect("rx", "capture").Build();
        graph.Start();

        for (int round = 0; round < 3; round++)
        {
            long expected = (round + 1) * 300L;
            var source = new PacedTaggedSource((uint)round, 300, 64, ratePps: 50_000);
            using (FlowGraph tx = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
                .Add("source", source).Add("tx", new MemifTx(server, 0)).Connect("source", "tx").Build())
            {
                await tx.RunAsync().WaitAsync(MemifTestNames.Limit);
            }
            source.Dispose();
            Assert.True(Waits.TryUntilBlocking(() => capture.Count == expected, MemifTestNames.Limit), $"round {round}: captured {capture.Count} of {expected}");
        }
        await graph.StopAsync();
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        capture.AssertExactlyOnceInOrder(new Dictionary<uint, long> { [0] = 300, [1] = 300, [2] = 300 });
    }

    [Fact]
    public async Task APollingReceiverMasksInterruptsSoThePeerNeverSignals()
    {
        string socket = MemifTestNames.Socket("poll");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server });
        using MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client });
        Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);
        Assert.Equal(-1, new MemifRx(client, 0).WakeupFd);
        Interop.Sys.ConsumeEventFd(client.ClientRxEventFd(0));

        await MemifFlowPairTests.Transfer(server, client, 64, count: 1000, queues: 1);

        Assert.Equal(0ul, Interop.Sys.ConsumeEventFd(client.ClientRxEventFd(0)));
    }

    [Fact]
    public async Task AnInterruptModeReceiverGetsASignalPerBurst()
    {
        string socket = MemifTestNames.Socket("signal");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, Interrupt = true });
        using MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client });
        Assert.True(server.WaitConnected(MemifTestNames.Limit), server.LastDisconnectReason);
        var source = new PacedTaggedSource(1, 100, 64, ratePps: 1_000_000);
        using (FlowGraph tx = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("source", source).Add("tx", new MemifTx(client, 0)).Connect("source", "tx").Build())
        {
            await tx.RunAsync().WaitAsync(MemifTestNames.Limit);
        }
        source.Dispose();
        var rx = new MemifRx(server, 0);
        ulong signals = Interop.Sys.ConsumeEventFd(rx.WakeupFd);
        Assert.InRange(signals, 1ul, 100ul);
        // Drain what is on the ring so the client's frames go back to its pool.
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("rx", rx).Add("capture", capture).Connect("rx", "capture").Build();
        graph.Start();
        Assert.True(Waits.TryUntilBlocking(() => capture.Count == 100, MemifTestNames.Limit), $"captured {capture.Count}");
        await graph.StopAsync();
    }
}
