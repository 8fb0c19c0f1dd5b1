using Flow.Protocols.Ethernet;
using Flow.Stages.Vlan;

namespace Flow.Stages.Switching;

/// <summary>
/// The switch's control plane over a running graph: the commands a CLI offers (show and flush
/// the MAC table, add a static entry, change a port's VLAN mode, read counters), by port
/// name. Each command is a message to the stages' mailboxes, run by their worker between
/// batches; bad values come back as <see cref="SwitchConfigurationException"/>.
/// </summary>
public sealed class SwitchControl
{
    private readonly FlowGraph _graph;
    private readonly string _classifier;
    private readonly string _learner;
    private readonly string _forwarder;

    /// <param name="graph">A graph holding the switch's stages.</param>
    /// <param name="classifier">Name of its <c>vlan_classifier</c> stage.</param>
    /// <param name="learner">Name of its <c>mac_learner</c> stage.</param>
    /// <param name="forwarder">Name of its <c>l2_forwarder</c> stage.</param>
    public SwitchControl(FlowGraph graph, string classifier = "classify", string learner = "learn", string forwarder = "forward")
    {
        ArgumentNullException.ThrowIfNull(graph);
        _graph = graph;
        _classifier = classifier;
        _learner = learner;
        _forwarder = forwarder;
        // Fail now, naming the stage, rather than on the first command.
        _ = graph.GetStage<VlanClassifier>(classifier);
        _ = graph.GetStage<MacLearner>(learner);
        _ = graph.GetStage<L2Forwarder>(forwarder);
    }

    /// <summary>The MAC table with port names.</summary>
    public async Task<IReadOnlyList<MacEntry>> ShowMacTableAsync()
    {
        SwitchPortTable ports = await PortsAsync().ConfigureAwait(false);
        IReadOnlyList<MacEntry> entries = await _graph.InvokeAsync<MacLearner, IReadOnlyList<MacEntry>>(_learner, l => l.GetEntries())
            .ConfigureAwait(false);
        return entries.Select(e => e with { Port = NameOf(ports, e.PortId) }).ToList();
    }

    /// <summary>Flushes dynamic entries: all, or of one VLAN and/or one port (by name); returns how many.</summary>
    public async Task<int> FlushAsync(ushort? vlan = null, string? port = null)
    {
        ushort? id = port is null ? null : IdOf(await PortsAsync().ConfigureAwait(false), port);
        return await _graph.InvokeAsync<MacLearner, int>(_learner, l => l.Flush(vlan, id)).ConfigureAwait(false);
    }

    /// <summary>Places <paramref name="mac"/> in <paramref name="vlan"/> on <paramref name="port"/> for good.</summary>
    public async Task AddStaticAsync(ushort vlan, MacAddress mac, string port)
    {
        SwitchPortTable ports = await PortsAsync().ConfigureAwait(false);
        ushort id = IdOf(ports, port);
        if (SwitchPortTable.IsUsableVlan(vlan) && !ports.IsMember(ports.IndexOf(port), vlan))
        {
            throw new SwitchConfigurationException($"port '{port}' does not carry VLAN {vlan}; a static entry there would never be used");
        }
        await _graph.InvokeAsync<MacLearner>(_learner, l => l.AddStatic(vlan, mac, id)).ConfigureAwait(false);
    }

    /// <summary>
    /// Changes a port's VLAN mode on the classifier and the forwarder, then flushes the dynamic
    /// entries learned on the port (they may belong to VLANs it no longer carries).
    /// </summary>
    public async Task SetPortAsync(SwitchPortOptions port)
    {
        ArgumentNullException.ThrowIfNull(port);
        // The classifier validates first: a refused change reaches neither stage.
        SwitchPortTable table = await _graph.InvokeAsync<VlanClassifier, SwitchPortTable>(_classifier, c => c.SetPort(port)).ConfigureAwait(false);
        await _graph.InvokeAsync<L2Forwarder, SwitchPortTable>(_forwarder, f => f.SetPort(port)).ConfigureAwait(false);
        ushort id = table.Ids[table.IndexOf(port.Name)];
        await _graph.InvokeAsync<MacLearner, int>(_learner, l => l.Flush(null, id)).ConfigureAwait(false);
    }

    /// <summary>Per-port counters, receive side from the classifier and send side from the forwarder.</summary>
    public async Task<IReadOnlyList<SwitchPortCounters>> PortCountersAsync()
    {
        IReadOnlyList<SwitchPortCounters> rx = await _graph.InvokeAsync<VlanClassifier, IReadOnlyList<SwitchPortCounters>>(
            _classifier, c => c.GetPortCounters()).ConfigureAwait(false);
        IReadOnlyList<SwitchPortCounters> tx = await _graph.InvokeAsync<L2Forwarder, IReadOnlyList<SwitchPortCounters>>(
            _forwarder, f => f.GetPortCounters()).ConfigureAwait(false);
        return rx.Zip(tx, (a, b) => a.Add(b)).ToList();
    }

    /// <summary>Per-VLAN counters for VLANs that saw traffic.</summary>
    public async Task<IReadOnlyList<SwitchVlanCounters>> VlanCountersAsync()
    {
        IReadOnlyList<SwitchVlanCounters> rx = await _graph.InvokeAsync<VlanClassifier, IReadOnlyList<SwitchVlanCounters>>(
            _classifier, c => c.GetVlanCounters()).ConfigureAwait(false);
        IReadOnlyList<SwitchVlanCounters> fwd = await _graph.InvokeAsync<L2Forwarder, IReadOnlyList<SwitchVlanCounters>>(
            _forwarder, f => f.GetVlanCounters()).ConfigureAwait(false);
        return rx.Concat(fwd).GroupBy(c => c.Vlan).Select(g => g.Aggregate((a, b) => a.Add(b))).OrderBy(c => c.Vlan).ToList();
    }

    public Task<MacLearnerCounters> LearnerCountersAsync() =>
        _graph.InvokeAsync<MacLearner, MacLearnerCounters>(_learner, l => l.GetCounters());

    private Task<SwitchPortTable> PortsAsync() => _graph.InvokeAsync<L2Forwarder, SwitchPortTable>(_forwarder, f => f.Ports);

    private static string? NameOf(SwitchPortTable ports, ushort id)
    {
        int index = ports.IndexOfId(id);
        return index < 0 ? null : ports.Ports[index].Name;
    }

    private static ushort IdOf(SwitchPortTable ports, string port)
    {
        int index = ports.IndexOf(port);
        if (index < 0)
        {
            throw new SwitchConfigurationException($"no switch port is named '{port}'; the ports are {string.Join(", ", ports.Names)}");
        }
        return ports.Ids[index];
    }
}
