using System.Globalization;

namespace Flow.Cli.Tests;

/// <summary>
/// A user stage (loaded through a graph file's "assemblies") that declares its own control
/// verbs, as a router or a TCP stack would: <c>tunnel add &lt;name&gt; --peer host [--mtu N]</c>
/// and <c>tunnel show</c>. The CLI has never heard of them. The table is worker-owned and
/// reached only through the stage's mailbox; packets pass through.
/// </summary>
[Stage("test_tunnels", "Test stage: passes packets on and keeps a tunnel table changed by its own control verbs.")]
public sealed class TunnelTableStage : Stage<TunnelTableStage.Output, NoDrop>, IControlledStage
{
    private static readonly IReadOnlyList<IControlCommand> s_commands = [new AddCommand(), new ShowCommand()];

    // Worker-owned: changed and read only through the control mailbox.
    private readonly SortedDictionary<string, (string Peer, int Mtu)> _tunnels = new(StringComparer.Ordinal);

    public enum Output : byte
    {
        [Port(typeof(Carries.SameAsInput), "every packet, unchanged")]
        Out,
    }

    public IReadOnlyList<IControlCommand> ControlCommands => s_commands;

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts) =>
        nexts.Slice(0, packets.Length).Fill(To(Output.Out));

    private sealed class AddCommand : IControlCommand
    {
        public string Name => "tunnel add";

        public string Help => "Adds a tunnel to a peer.";

        public IReadOnlyList<ControlArgument> Arguments { get; } =
        [
            new("name", "The tunnel's name.", ControlValue.AnyText("name")) { Positional = true, Required = true },
            new("peer", "The far end's address.", ControlValue.AnyText("host")) { Required = true },
            new("mtu", "The tunnel's MTU (default 1400).", ControlValue.Integer(576, 9000)),
        ];

        public async Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
        {
            string stage = request.ServingStage();
            string name = request.Required("name");
            string peer = request.Required("peer");
            int mtu = request.OptionalInteger("mtu", 576, 9000) ?? 1400;
            await request.Graph.InvokeAsync<TunnelTableStage>(stage, s => s._tunnels[name] = (peer, mtu));
            return ControlReply.Text($"{stage}: tunnel {name} to {peer}, mtu {mtu.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    private sealed class ShowCommand : IControlCommand
    {
        public string Name => "tunnel show";

        public string Help => "The tunnel table.";

        public IReadOnlyList<ControlArgument> Arguments => [];

        public async Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
        {
            string stage = request.ServingStage();
            List<IReadOnlyList<string>> rows = await request.Graph.InvokeAsync<TunnelTableStage, List<IReadOnlyList<string>>>(stage, s =>
                s._tunnels.Select(t => (IReadOnlyList<string>)[t.Key, t.Value.Peer, t.Value.Mtu.ToString(CultureInfo.InvariantCulture)]).ToList());
            return ControlReply.Table(["tunnel", "peer", "mtu"], rows, $"{stage}: {rows.Count} tunnels");
        }
    }
}
