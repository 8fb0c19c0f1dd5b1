using Flow.Protocols.Ethernet;
using Flow.Stages.Switching;

namespace Flow.Samples.Switch;

/// <summary>
/// A 4-port switch with four simulated hosts, built in code:
/// <code>
///  host a ─ host_a (access 10) ─┐                               ┌─ tag_host_a ─ a
///  host b ─ host_b (access 10) ─┼─ classify ─ learn ─ forward ──┼─ tag_host_b ─ b
///  host c ─ host_c (access 20) ─┤                               ├─ tag_host_c ─ c
///  host d ─ uplink (trunk 10,20)┘                               └─ tag_uplink ─ d
/// </code>
/// Host d sits on the trunk like a Linux host with VLAN sub-interfaces 10 and 20 (one MAC).
/// Flows (index: destination): a → 0: b, 1: d, 2: c (other VLAN: never delivered),
/// 3: broadcast, 4: an unknown MAC (flooded every time); b → 0: a, 1: d;
/// c → 0: d; d → 0: a tagged 10, 1: b tagged 10, 2: c tagged 20.
/// </summary>
public sealed class DemoSwitch
{
    public static readonly MacAddress A = Mac(0xA);
    public static readonly MacAddress B = Mac(0xB);
    public static readonly MacAddress C = Mac(0xC);
    public static readonly MacAddress D = Mac(0xD);
    public static readonly MacAddress Nobody = Mac(0x99);

    public static IReadOnlyList<SwitchPortOptions> Ports { get; } =
    [
        SwitchPortOptions.Access("host_a", 10),
        SwitchPortOptions.Access("host_b", 10),
        SwitchPortOptions.Access("host_c", 20),
        SwitchPortOptions.Trunk("uplink", [10, 20]),
    ];

    public DemoSwitch(long framesPerFlow, IFlowClock? clock = null, IdlePolicy? idle = null)
    {
        Hosts =
        [
            new SimulatedHost(new SimulatedHostOptions
            {
                Id = 0xA, Mac = A, InputPort = 0, FramesPerFlow = framesPerFlow,
                Flows = [new(B), new(D), new(C), new(MacAddress.Broadcast), new(Nobody)],
            }),
            new SimulatedHost(new SimulatedHostOptions { Id = 0xB, Mac = B, InputPort = 1, FramesPerFlow = framesPerFlow, Flows = [new(A), new(D)] }),
            new SimulatedHost(new SimulatedHostOptions { Id = 0xC, Mac = C, InputPort = 2, FramesPerFlow = framesPerFlow, Flows = [new(D)] }),
            new SimulatedHost(new SimulatedHostOptions
            {
                Id = 0xD, Mac = D, InputPort = 3, FramesPerFlow = framesPerFlow,
                Flows = [new(A, Vlan: 10), new(B, Vlan: 10), new(C, Vlan: 20)],
            }),
        ];
        Sinks = [new HostSink(A), new HostSink(B), new HostSink(C), new HostSink(D)];
        var builder = new GraphBuilder()
            .Worker(0, idle: idle ?? IdlePolicy.Yielding)
            .WithClock(clock ?? MonotonicClock.Instance)
            .AddSwitch(Ports);
        string[] names = ["a", "b", "c", "d"];
        for (int i = 0; i < 4; i++)
        {
            builder.Add($"host_{names[i]}_tx", Hosts[i]).Connect($"host_{names[i]}_tx", SwitchGraph.Classifier);
            builder.Add($"host_{names[i]}_rx", Sinks[i]).Connect(SwitchGraph.TaggerOf(Ports[i].Name), $"host_{names[i]}_rx");
        }
        Graph = builder.Build();
        Control = new SwitchControl(Graph);
    }

    /// <summary>Hosts a, b, c, d (index = switch port).</summary>
    public IReadOnlyList<SimulatedHost> Hosts { get; }

    /// <summary>What hosts a, b, c, d received.</summary>
    public IReadOnlyList<HostSink> Sinks { get; }

    public FlowGraph Graph { get; }

    public SwitchControl Control { get; }

    private static MacAddress Mac(int n) => new(0x02, 0x00, 0x00, 0x00, 0x00, (byte)n);
}
