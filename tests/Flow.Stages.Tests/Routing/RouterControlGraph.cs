using Flow.Stages.Ethernet;
using Flow.Stages.Icmp;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing;
using Flow.Stages.Tests.Switching;
using Flow.TestKit;

namespace Flow.Stages.Tests.Routing;

/// <summary>
/// A router graph the control-command tests run their verbs against, one or more forwarding
/// paths side by side (path 2's stages are named with a <c>_2</c> suffix):
/// <code>
///  wire ─ eth_classify ─ipv4→ ipv4_input ─forward→ ipv4_lookup ─forward→ ipv4_forward ─time_exceeded→ icmp_error ─┐
///             └─arp──────────────┴─local──────────────┴─local, unreachable──┴─forwarded───────────────────────┴─ sink
/// </code>
/// </summary>
internal static class RouterControlGraph
{
    /// <summary>One path's stages: the interfaces its ipv4_input and icmp_error get, its lookup, its icmp options and the frames its wire sends.</summary>
    public sealed record PathOptions(IReadOnlyList<RouterInterfaceOptions> Interfaces, Ipv4Lookup Lookup)
    {
        public IcmpErrorSenderOptions Icmp { get; init; } = new();

        public IFlowClock Clock { get; init; } = new ManualClock();

        public (ushort Port, byte[] Frame)[] Frames { get; init; } = [];
    }

    public static FlowGraph Build(params PathOptions[] paths)
    {
        var builder = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding).Add("sink", new NullSink());
        for (int p = 0; p < paths.Length; p++)
        {
            PathOptions path = paths[p];
            string n = p == 0 ? "" : $"_{p + 1}";
            builder.Add("wire" + n, new FrameListSource(path.Frames))
                .Add("eth_classify" + n, new EtherClassifier(new EtherClassifierOptions { Interfaces = path.Interfaces }))
                .Add("ipv4_input" + n, new Ipv4Validator(new Ipv4ValidatorOptions { Interfaces = path.Interfaces }))
                .Add("ipv4_lookup" + n, path.Lookup)
                .Add("ipv4_forward" + n, new Ipv4Forwarder())
                .Add("icmp_error" + n, new IcmpErrorSender(path.Icmp with { Interfaces = path.Interfaces }, path.Clock))
                .Connect("wire" + n, "eth_classify" + n)
                .Connect($"eth_classify{n}:ipv4", "ipv4_input" + n)
                .Connect($"eth_classify{n}:arp", "sink")
                .Connect($"ipv4_input{n}:local", "sink")
                .Connect($"ipv4_input{n}:forward", "ipv4_lookup" + n)
                .Connect($"ipv4_lookup{n}:forward", "ipv4_forward" + n)
                .Connect($"ipv4_lookup{n}:local", "sink")
                .Connect($"ipv4_lookup{n}:unreachable", "sink")
                .Connect($"ipv4_forward{n}:forwarded", "sink")
                .Connect($"ipv4_forward{n}:time_exceeded", "icmp_error" + n)
                .Connect("icmp_error" + n, "sink");
        }
        return builder.Build();
    }

    /// <summary>Runs <paramref name="command"/> as an endpoint would: arguments by name, the stages of its type as the ones serving it.</summary>
    public static Task<ControlReply> RunAsync(this FlowGraph graph, IControlCommand command, string? stage = null, params (string Name, string Value)[] arguments)
    {
        string[] servedBy = [.. graph.Stages.Where(s => s.Stage is IControlledStage c && c.ControlCommands.Contains(command)).Select(s => s.Name)];
        return command.ExecuteAsync(new ControlRequest(graph, command.Name, arguments.ToDictionary(a => a.Name, a => a.Value), stage, servedBy),
            CancellationToken.None);
    }

    /// <summary>A reply's table as lines of cells joined by spaces, for whole-table assertions.</summary>
    public static string[] Lines(this ControlReply reply) => [.. reply.Rows.Select(r => string.Join(" ", r))];

    public static IControlCommand Command(this IReadOnlyList<IControlCommand> commands, string name) => commands.Single(c => c.Name == name);
}
