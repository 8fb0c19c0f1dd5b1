using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Memif.Tests;

/// <summary>
/// The <see cref="MemifOptions.InputPort"/> option: received frames carry the configured port id
/// (a switch with several memif ports tells them apart); unset, they carry the queue index.
/// </summary>
[Collection(nameof(MemifCollection))]
public class MemifInputPortTests
{
    [Theory]
    [InlineData(MemifRole.Client)]
    [InlineData(MemifRole.Server)]
    public async Task FramesReceivedCarryTheConfiguredInputPort(MemifRole receiverRole)
    {
        string socket = MemifTestNames.Socket("inport");
        MemifRole senderRole = receiverRole == MemifRole.Client ? MemifRole.Server : MemifRole.Client;
        using MemifInterface receiver = MemifInterface.Create(new MemifOptions { Socket = socket, Role = receiverRole, InputPort = 7 });
        using MemifInterface sender = MemifInterface.Create(new MemifOptions { Socket = socket, Role = senderRole });
        MemifInterface client = receiverRole == MemifRole.Client ? receiver : sender;
        Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);

        ushort[] ports = await Receive(sender, receiver, count: 200);

        Assert.Equal(200, ports.Length);
        Assert.All(ports, port => Assert.Equal(7, port));
    }

    [Fact]
    public async Task WithoutTheOptionFramesCarryTheQueueIndex()
    {
        string socket = MemifTestNames.Socket("inport-default");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server });
        using MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client });
        Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);

        ushort[] ports = await Receive(server, client, count: 50);

        Assert.Equal(50, ports.Length);
        Assert.All(ports, port => Assert.Equal(0, port));
    }

    private static async Task<ushort[]> Receive(MemifInterface sender, MemifInterface receiver, long count)
    {
        var sink = new InputPortSink();
        using FlowGraph rx = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("rx", new MemifRx(receiver, 0)).Add("sink", sink).Connect("rx", "sink").Build();
        using FlowGraph tx = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("gen", new Generator(new GeneratorOptions { Count = count, RatePps = 100_000, PoolFrames = 512, InputPort = 3 }))
            .Add("tx", new MemifTx(sender, 0)).Connect("gen", "tx").Build();
        rx.Start();
        await tx.RunAsync().WaitAsync(MemifTestNames.Limit);
        bool all = Waits.TryUntilBlocking(() => sink.Count >= count, MemifTestNames.Limit);
        await rx.StopAsync();
        Assert.True(all, $"received {sink.Count} of {count}: {string.Join("; ", tx.GetStats().Stages)}");
        Assert.True(tx.GetStats().IsBalanced, string.Join("\n", tx.GetStats().Stages));
        Assert.True(rx.GetStats().IsBalanced, string.Join("\n", rx.GetStats().Stages));
        return sink.Ports;
    }

    /// <summary>Records each frame's input port, then frees it.</summary>
    private sealed class InputPortSink : Stage<NoOutput, NoDrop>
    {
        private readonly List<ushort> _ports = [];

        public int Count
        {
            get
            {
                lock (_ports)
                {
                    return _ports.Count;
                }
            }
        }

        public ushort[] Ports
        {
            get
            {
                lock (_ports)
                {
                    return _ports.ToArray();
                }
            }
        }

        public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
        {
            lock (_ports)
            {
                foreach (Packet packet in packets)
                {
                    _ports.Add(packet.Meta.InputPort);
                }
            }
            PacketPools.Free(packets);
            nexts.Slice(0, packets.Length).Fill(Next.Consumed);
        }
    }
}
