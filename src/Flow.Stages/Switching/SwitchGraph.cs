using Flow.Stages.Vlan;

namespace Flow.Stages.Switching;

/// <summary>
/// Adds a VLAN-aware learning switch to a graph in code — the code-built equivalent of
/// <c>pipelines/switch.json</c> (docs/adr/005-switch-stages.md):
/// <code>
///  (rx of each port) ──> classify ──> learn ──> forward ─:&lt;port&gt;──> tag_&lt;port&gt; ──> (tx of that port)
/// </code>
/// The caller connects every port's rx stage to <see cref="Classifier"/> (each rx stamping
/// its port's <see cref="SwitchPortOptions.Id"/> as <see cref="PacketMeta.InputPort"/>) and
/// <see cref="TaggerOf"/>(port) to that port's tx.
/// </summary>
public static class SwitchGraph
{
    public const string Classifier = "classify";
    public const string Learner = "learn";
    public const string Forwarder = "forward";

    /// <summary>Name of the <c>vlan_tagger</c> in front of <paramref name="port"/>'s tx.</summary>
    public static string TaggerOf(string port) => "tag_" + port;

    /// <summary>Adds the switch's stages on <paramref name="worker"/> and connects them to each other.</summary>
    public static GraphBuilder AddSwitch(this GraphBuilder builder, IReadOnlyList<SwitchPortOptions> ports,
        MacLearnerOptions? learning = null, L2ForwarderOptions? forwarding = null, VlanClassifierOptions? classifying = null, int worker = 0)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var forwarder = new L2Forwarder((forwarding ?? new L2ForwarderOptions()) with { Ports = ports });
        builder
            .Add(Classifier, new VlanClassifier((classifying ?? new VlanClassifierOptions()) with { Ports = ports }), worker)
            .Add(Learner, new MacLearner(learning ?? new MacLearnerOptions()), worker)
            .Add(Forwarder, forwarder, worker)
            .Connect(Classifier, Learner)
            .Connect(Learner, Forwarder);
        foreach (SwitchPortOptions port in ports)
        {
            builder.Add(TaggerOf(port.Name), new VlanTagger(), worker)
                .Connect($"{Forwarder}:{port.Name}", TaggerOf(port.Name));
        }
        return builder;
    }
}
