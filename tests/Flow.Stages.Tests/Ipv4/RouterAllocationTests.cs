using System.Buffers.Binary;
using Flow.Protocols;
using Flow.Stages.Ethernet;
using Flow.Stages.Icmp;
using Flow.Stages.Ipv4;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Ipv4;

/// <summary>
/// The router path allocates nothing in steady state — classification, validation, TTL, echo
/// replies, ICMP errors built and rate-limited, drops — measured on the worker thread between
/// the end of a warm-up and the worker's stop (TestKit's AllocationProbe):
/// <code>
///  probe ─ eth_classify ─┬─ arp ─────────────────────────────────────────────── sink
///                        └─ ipv4_input ─┬─ local ─ icmp_echo ─┬─ reply ─────────── sink
///                                       │                     └─ other ─────────── sink
///                                       └─ forward ─ ipv4_forward ─┬─ forwarded ── sink
///                                                                  └─ time_exceeded ─ icmp_error ─ sink
/// </code>
/// </summary>
public sealed class RouterAllocationTests
{
    [Fact]
    public async Task SteadyStateRoutingAllocatesNothing()
    {
        IReadOnlyList<RouterInterfaceOptions> interfaces = Interfaces();
        byte[][] templates = Scapy("[" +
            "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1')/ICMP(id=1, seq=1)/Raw(b'x'*56)," +
            "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='198.51.100.10', ttl=64)/UDP()/Raw(b'y'*18)," +
            "Ether(src=H, dst=L)/IP(src='198.18.0.1', dst='198.51.100.10', ttl=1)/UDP()/Raw(b'z'*200)," +
            "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='198.51.100.10', chksum=7)/UDP()," +
            "Ether(src=H, dst='ff:ff:ff:ff:ff:ff')/ARP(psrc='10.0.0.10', pdst='10.0.0.1')]");
        var probe = new RouterTrafficProbe(templates, warmup: 50_000, total: 400_000);
        var builder = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding)
            .Add("probe", probe)
            .Add("eth_classify", new EtherClassifier(new EtherClassifierOptions { Interfaces = interfaces }))
            .Add("ipv4_input", new Ipv4Validator(new Ipv4ValidatorOptions { Interfaces = interfaces }))
            .Add("icmp_echo", new IcmpEchoResponder(new IcmpEchoResponderOptions { Interfaces = interfaces }))
            .Add("ipv4_forward", new Ipv4Forwarder())
            .Add("icmp_error", new IcmpErrorSender(new IcmpErrorSenderOptions { Interfaces = interfaces }, MonotonicClock.Instance))
            .Add("sink", new NullSink())
            .Connect("probe", "eth_classify")
            .Connect("eth_classify:arp", "sink")
            .Connect("eth_classify:ipv4", "ipv4_input")
            .Connect("ipv4_input:local", "icmp_echo")
            .Connect("icmp_echo:reply", "sink")
            .Connect("icmp_echo:other", "sink")
            .Connect("ipv4_input:forward", "ipv4_forward")
            .Connect("ipv4_forward:forwarded", "sink")
            .Connect("ipv4_forward:time_exceeded", "icmp_error")
            .Connect("icmp_error", "sink");
        using FlowGraph graph = builder.Build();
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(120));
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, stats.ToString());
        Assert.True(probe.Measured, "the probe never reached its warm-up count");
        Assert.Equal(80_000, stats.Stage("icmp_echo").OutOn("reply"));
        Assert.Equal(80_000, stats.Stage("ipv4_forward").OutOn("forwarded"));
        Assert.Equal(80_000, stats.Stage("ipv4_input").DroppedFor("bad_checksum"));
        StageStats errors = stats.Stage("icmp_error");
        Assert.True(errors.OutOn("error") > 0 && errors.DroppedFor("rate_limited_destination") + errors.DroppedFor("rate_limited") > 0, errors.ToString());
        Assert.Equal(0, probe.AllocatedBytes);
    }

    /// <summary>Frame i is template i mod 5; TTL-1 packets come from 4096 sources in turn, so some errors pass the limits.</summary>
    [Stage("router_traffic_probe", "Test source measuring allocations on its worker.")]
    private sealed class RouterTrafficProbe(byte[][] templates, long warmup, long total) : AllocationProbe(warmup, total)
    {
        protected override void Write(Packet packet, long sequence)
        {
            byte[] template = templates[sequence % templates.Length];
            packet.TrySetLength(template.Length);
            Span<byte> data = packet.Data;
            template.CopyTo(data);
            packet.Meta.InputPort = Lan;
            if (sequence % templates.Length == 2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(data[28..], (ushort)(sequence / templates.Length % 4096 + 1));
                data[24] = data[25] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(data[24..], Checksum.Compute(data.Slice(14, 20)).Host);
            }
        }
    }
}
