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
    private readonly string[] _classifiers;
    private readonly string[] _learners;
    private readonly string[] _forwarders;
    private readonly string _tableWriter;

    /// <param name="graph">A graph holding the switch's stages.</param>
    /// <param name="classifier">Name of its <c>vlan_classifier</c> stage.</param>
    /// <param name="learner">Name of its <c>mac_learner</c> stage.</param>
    /// <param name="forwarder">Name of its <c>l2_forwarder</c> stage.</param>
    public SwitchControl(FlowGraph graph, string classifier = "classify", string learner = "learn", string forwarder = "forward")
        : this(graph, [(classifier, learner, forwarder)])
    {
    }

    /// <summary>A sharded switch: each shard's copies of the three stages, the learners sharing one table (<see cref="MacLearner.TableWriter"/>).</summary>
    private SwitchControl(FlowGraph graph, IReadOnlyList<(string Classifier, string Learner, string Forwarder)> copies)
    {
        ArgumentNullException.ThrowIfNull(graph);
        _graph = graph;
        _classifiers = copies.Select(c => c.Classifier).ToArray();
        _learners = copies.Select(c => c.Learner).ToArray();
        _forwarders = copies.Select(c => c.Forwarder).ToArray();
        // Fail now, naming the stage, rather than on the first command.
        foreach ((string classifier, string learner, string forwarder) in copies)
        {
            _ = graph.GetStage<VlanClassifier>(classifier);
            _ = graph.GetStage<MacLearner>(learner);
            _ = graph.GetStage<L2Forwarder>(forwarder);
        }
        MacLearner writer = graph.GetStage<MacLearner>(_learners[0]).TableWriter;
        _tableWriter = graph.Stages.FirstOrDefault(s => ReferenceEquals(s.Stage, writer))?.Name
            ?? throw new SwitchConfigurationException($"mac_learner '{_learners[0]}' reads a table whose writer is not in this graph");
    }

    /// <summary>
    /// Name of the switch's <c>l2_forwarder</c> stage (how messages name the switch); for a
    /// sharded switch the declared name, without a shard.
    /// </summary>
    public string Forwarder => _forwarders.Length == 1 ? _forwarders[0] : ShardNames.Split(_forwarders[0]).Name;

    /// <summary>
    /// Finds the switch in <paramref name="graph"/>: an <c>l2_forwarder</c> fed (directly or
    /// through other stages) by a <c>mac_learner</c>, itself fed by a <c>vlan_classifier</c>.
    /// The shards' copies of a sharded switch, whose learners share one table, are one switch.
    /// With several switches, <paramref name="stage"/> (the name of any of those three stages,
    /// or of a copy) chooses one. Throws <see cref="SwitchConfigurationException"/> saying what
    /// the graph has when there is no switch, several and no choice, or the named stage is not
    /// part of one.
    /// </summary>
    public static SwitchControl Find(FlowGraph graph, string? stage = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        IReadOnlyList<StageInfo> stages = graph.Stages;
        var switches = new List<List<(string Classifier, string Learner, string Forwarder)>>();
        var byTable = new Dictionary<MacLearner, List<(string, string, string)>>(ReferenceEqualityComparer.Instance);
        foreach (StageInfo forwarder in stages.Where(s => s.Stage is L2Forwarder))
        {
            string? learner = Upstream<MacLearner>(graph, stages, forwarder.Name);
            string? classifier = learner is null ? null : Upstream<VlanClassifier>(graph, stages, learner);
            if (learner is null || classifier is null)
            {
                continue;
            }
            MacLearner writer = graph.GetStage<MacLearner>(learner).TableWriter;
            if (!byTable.TryGetValue(writer, out List<(string, string, string)>? copies))
            {
                byTable.Add(writer, copies = []);
                switches.Add(copies);
            }
            copies.Add((classifier, learner, forwarder.Name));
        }
        static string NameOf(List<(string Classifier, string Learner, string Forwarder)> copies) =>
            copies.Count == 1 ? copies[0].Forwarder : ShardNames.Split(copies[0].Forwarder).Name;
        string Names() => string.Join(", ", switches.Select(s => $"'{NameOf(s)}'"));
        if (stage is not null)
        {
            StageInfo? named = stages.FirstOrDefault(s => s.Name == stage) ?? stages.FirstOrDefault(s => ShardNames.Matches(s.Name, stage));
            if (named is null)
            {
                throw new SwitchConfigurationException($"no stage is named '{stage}'" +
                    (switches.Count == 0 ? "; this graph has no switch" : $"; the switches are {Names()} (by their l2_forwarder)"));
            }
            foreach (List<(string Classifier, string Learner, string Forwarder)> copies in switches)
            {
                if (copies.Any(c => c.Classifier == named.Name || c.Learner == named.Name || c.Forwarder == named.Name))
                {
                    return new SwitchControl(graph, copies);
                }
            }
            throw new SwitchConfigurationException($"stage '{stage}' ({named.Type}) is not part of a switch" +
                (switches.Count == 0 ? "; this graph has no switch" : $"; the switches are {Names()} (by their l2_forwarder)"));
        }
        if (switches.Count == 0)
        {
            throw new SwitchConfigurationException(
                "this graph has no switch: no l2_forwarder stage fed by a mac_learner and a vlan_classifier");
        }
        if (switches.Count > 1)
        {
            throw new SwitchConfigurationException(
                $"this graph has {switches.Count} switches ({Names()}, by their l2_forwarder); choose one with --stage <name>");
        }
        return new SwitchControl(graph, switches[0]);
    }

    /// <summary>The nearest stage of type <typeparamref name="T"/> upstream of <paramref name="from"/> (breadth first), or null.</summary>
    private static string? Upstream<T>(FlowGraph graph, IReadOnlyList<StageInfo> stages, string from) where T : Stage
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { from };
        var queue = new Queue<string>();
        queue.Enqueue(from);
        while (queue.Count > 0)
        {
            string current = queue.Dequeue();
            foreach (EdgeInfo edge in graph.Edges)
            {
                if (edge.To != current || !seen.Add(edge.From))
                {
                    continue;
                }
                if (stages.FirstOrDefault(s => s.Name == edge.From)?.Stage is T)
                {
                    return edge.From;
                }
                queue.Enqueue(edge.From);
            }
        }
        return null;
    }

    /// <summary>The switch's ports as they are now (after any <see cref="SetPortAsync"/>).</summary>
    public Task<SwitchPortTable> GetPortsAsync() => PortsAsync();

    /// <summary>
    /// Removes the entry (static or dynamic) for <paramref name="mac"/> in <paramref name="vlan"/>,
    /// or in every VLAN when null; returns how many were removed.
    /// </summary>
    public async Task<int> RemoveAsync(ushort? vlan, MacAddress mac)
    {
        if (vlan is ushort v && !SwitchPortTable.IsUsableVlan(v))
        {
            throw new SwitchConfigurationException($"VLAN {v} is out of range {SwitchPortTable.MinVlan} to {SwitchPortTable.MaxVlan}");
        }
        return await _graph.InvokeAsync<MacLearner, int>(_tableWriter, l =>
        {
            if (vlan is ushort only)
            {
                return l.Remove(only, mac) ? 1 : 0;
            }
            // One lookup per VLAN id (VLAN 0: no classifier), a bounded cost, instead of a walk
            // of the whole table on the worker.
            int removed = 0;
            for (int v = 0; v <= SwitchPortTable.MaxVlan; v++)
            {
                if (l.Remove((ushort)v, mac))
                {
                    removed++;
                }
            }
            return removed;
        }).ConfigureAwait(false);
    }

    /// <summary>Slices of the table one <see cref="ShowMacTablePageAsync"/> reads at most: 16 × 64 Ki slots.</summary>
    public const int MaxReadsPerPage = 16;

    /// <summary>
    /// The whole MAC table with port names, sorted by VLAN then address. Read a slice per
    /// mailbox message (<see cref="MacLearner.MaxSlotsPerRead"/>) and sorted here, so the worker
    /// is never held for the whole table; an entry that changes while the slices are read may
    /// show in its old or its new state.
    /// </summary>
    public async Task<IReadOnlyList<MacEntry>> ShowMacTableAsync()
    {
        SwitchPortTable ports = await PortsAsync().ConfigureAwait(false);
        var entries = new List<MacEntry>();
        for (int? next = 0; next is int start;)
        {
            MacTablePage page = await _graph.InvokeAsync<MacLearner, MacTablePage>(_tableWriter, l => l.GetEntries(start, int.MaxValue))
                .ConfigureAwait(false);
            entries.AddRange(page.Entries.Select(e => e with { Port = NameOf(ports, e.PortId) }));
            next = page.Next;
        }
        entries.Sort(ByVlanThenMac);
        return entries;
    }

    /// <summary>
    /// Up to <paramref name="limit"/> entries with port names — of one VLAN and/or port when
    /// given — from table slot <paramref name="start"/> on, sorted by VLAN then address within
    /// the page. Reads at most <see cref="MaxReadsPerPage"/> slices, so a page's cost is bounded
    /// even when a filter matches little; <see cref="MacTablePage.Next"/> (null at the table's
    /// end) is the <paramref name="start"/> of the next page.
    /// </summary>
    public async Task<MacTablePage> ShowMacTablePageAsync(int start, int limit, ushort? vlan = null, string? port = null)
    {
        SwitchPortTable ports = await PortsAsync().ConfigureAwait(false);
        ushort? id = port is null ? null : IdOf(ports, port);
        var entries = new List<MacEntry>();
        int? next = start;
        int count = 0;
        for (int read = 0; read < MaxReadsPerPage && next is int from && entries.Count < limit; read++)
        {
            int wanted = limit - entries.Count;
            MacTablePage page = await _graph.InvokeAsync<MacLearner, MacTablePage>(_tableWriter, l => l.GetEntries(from, wanted, vlan, id))
                .ConfigureAwait(false);
            entries.AddRange(page.Entries.Select(e => e with { Port = NameOf(ports, e.PortId) }));
            next = page.Next;
            count = page.Count;
        }
        entries.Sort(ByVlanThenMac);
        return new MacTablePage(entries, next, count);
    }

    private static int ByVlanThenMac(MacEntry a, MacEntry b) =>
        a.Vlan != b.Vlan ? a.Vlan.CompareTo(b.Vlan) : string.CompareOrdinal(a.Mac.ToString(), b.Mac.ToString());

    /// <summary>Flushes dynamic entries: all, or of one VLAN and/or one port (by name); returns how many.</summary>
    public async Task<int> FlushAsync(ushort? vlan = null, string? port = null)
    {
        ushort? id = port is null ? null : IdOf(await PortsAsync().ConfigureAwait(false), port);
        return await _graph.InvokeAsync<MacLearner, int>(_tableWriter, l => l.Flush(vlan, id)).ConfigureAwait(false);
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
        await _graph.InvokeAsync<MacLearner>(_tableWriter, l => l.AddStatic(vlan, mac, id)).ConfigureAwait(false);
    }

    /// <summary>
    /// Changes a port's VLAN mode on the classifier and the forwarder (of every shard), then
    /// flushes the dynamic entries learned on the port (they may belong to VLANs it no longer
    /// carries).
    /// </summary>
    public async Task SetPortAsync(SwitchPortOptions port)
    {
        ArgumentNullException.ThrowIfNull(port);
        // The first classifier validates: a refused change reaches no stage. The copies were made
        // from one config, so what the first takes the others take.
        SwitchPortTable table = await _graph.InvokeAsync<VlanClassifier, SwitchPortTable>(_classifiers[0], c => c.SetPort(port)).ConfigureAwait(false);
        foreach (string classifier in _classifiers.Skip(1))
        {
            await _graph.InvokeAsync<VlanClassifier, SwitchPortTable>(classifier, c => c.SetPort(port)).ConfigureAwait(false);
        }
        foreach (string forwarder in _forwarders)
        {
            await _graph.InvokeAsync<L2Forwarder, SwitchPortTable>(forwarder, f => f.SetPort(port)).ConfigureAwait(false);
        }
        ushort id = table.Ids[table.IndexOf(port.Name)];
        await _graph.InvokeAsync<MacLearner, int>(_tableWriter, l => l.Flush(null, id)).ConfigureAwait(false);
    }

    /// <summary>Per-port counters, receive side from the classifiers and send side from the forwarders, added over the shards.</summary>
    public async Task<IReadOnlyList<SwitchPortCounters>> PortCountersAsync()
    {
        List<SwitchPortCounters>? sum = null;
        for (int i = 0; i < _forwarders.Length; i++)
        {
            IReadOnlyList<SwitchPortCounters> rx = await _graph.InvokeAsync<VlanClassifier, IReadOnlyList<SwitchPortCounters>>(
                _classifiers[i], c => c.GetPortCounters()).ConfigureAwait(false);
            IReadOnlyList<SwitchPortCounters> tx = await _graph.InvokeAsync<L2Forwarder, IReadOnlyList<SwitchPortCounters>>(
                _forwarders[i], f => f.GetPortCounters()).ConfigureAwait(false);
            List<SwitchPortCounters> shard = rx.Zip(tx, (a, b) => a.Add(b)).ToList();
            sum = sum is null ? shard : sum.Zip(shard, (a, b) => a.Add(b)).ToList();
        }
        return sum!;
    }

    /// <summary>Per-VLAN counters for VLANs that saw traffic, added over the shards.</summary>
    public async Task<IReadOnlyList<SwitchVlanCounters>> VlanCountersAsync()
    {
        var all = new List<SwitchVlanCounters>();
        for (int i = 0; i < _forwarders.Length; i++)
        {
            all.AddRange(await _graph.InvokeAsync<VlanClassifier, IReadOnlyList<SwitchVlanCounters>>(
                _classifiers[i], c => c.GetVlanCounters()).ConfigureAwait(false));
            all.AddRange(await _graph.InvokeAsync<L2Forwarder, IReadOnlyList<SwitchVlanCounters>>(
                _forwarders[i], f => f.GetVlanCounters()).ConfigureAwait(false));
        }
        return all.GroupBy(c => c.Vlan).Select(g => g.Aggregate((a, b) => a.Add(b))).OrderBy(c => c.Vlan).ToList();
    }

    /// <summary>The learner's counters, added over the shards' copies.</summary>
    public async Task<MacLearnerCounters> LearnerCountersAsync()
    {
        MacLearnerCounters? sum = null;
        foreach (string learner in _learners)
        {
            MacLearnerCounters counters = await _graph.InvokeAsync<MacLearner, MacLearnerCounters>(learner, l => l.GetCounters()).ConfigureAwait(false);
            sum = sum is null ? counters : sum.Add(counters);
        }
        return sum!;
    }

    private Task<SwitchPortTable> PortsAsync() => _graph.InvokeAsync<L2Forwarder, SwitchPortTable>(_forwarders[0], f => f.Ports);

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
