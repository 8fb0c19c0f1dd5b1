using System.Buffers.Binary;
using Flow.Protocols.Ethernet;
using Flow.Stages.Switching;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Frames;

namespace Flow.Stages.Tests.Switching;

/// <summary>
/// The switch path allocates nothing in steady state: known unicast, floods (copies, Emit),
/// tag pop at ingress and push at egress, learning refreshes — measured on the worker thread
/// between the end of a warm-up and the worker's stop (TestKit's AllocationProbe).
/// </summary>
public sealed class SwitchAllocationTests
{
    [Fact]
    public async Task SteadyStateSwitchingAllocatesNothing()
    {
        var probe = new SwitchTrafficProbe(warmup: 50_000, total: 400_000);
        var builder = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding)
            .AddSwitch(FourPorts())
            .Add("probe", probe).Connect("probe", SwitchGraph.Classifier);
        foreach (SwitchPortOptions port in FourPorts())
        {
            builder.Add("sink_" + port.Name, new NullSink()).Connect(SwitchGraph.TaggerOf(port.Name), "sink_" + port.Name);
        }
        using FlowGraph graph = builder.Build();
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, stats.ToString());
        Assert.True(probe.Measured, "the probe never reached its warm-up count");
        Assert.True(stats.Stage(SwitchGraph.Forwarder).Emitted > 0, "no flood copies were made");
        Assert.Equal(0, stats.Stage(SwitchGraph.Forwarder).DroppedTotal);
        Assert.Equal(0, probe.AllocatedBytes);
    }

    /// <summary>
    /// Frame i comes from port i mod 4 (host_a, host_b: VLAN 10; host_c: VLAN 20; uplink: tagged
    /// 10) and goes to a known host of its VLAN, or every eighth frame to broadcast.
    /// </summary>
    [Stage("switch_traffic_probe", "Test source measuring allocations on its worker.")]
    private sealed class SwitchTrafficProbe(long warmup, long total) : AllocationProbe(warmup, total)
    {
        private static readonly MacAddress[] s_peer = [Host(2), Host(4), Host(4), Host(1)];

        protected override void Write(Packet packet, long sequence)
        {
            int port = (int)(sequence & 3);
            packet.TrySetLength(64);
            packet.Meta.InputPort = (ushort)port;
            Span<byte> data = packet.Data;
            data.Clear();
            ((sequence & 7) == 7 ? MacAddress.Broadcast : s_peer[port]).CopyTo(data);
            Host(port + 1).CopyTo(data[6..]);
            if (port == 3)
            {
                BinaryPrimitives.WriteUInt16BigEndian(data[12..], EtherType.Vlan);
                BinaryPrimitives.WriteUInt16BigEndian(data[14..], 10);
                BinaryPrimitives.WriteUInt16BigEndian(data[16..], TestEtherType);
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(data[12..], TestEtherType);
            }
        }
    }
}
