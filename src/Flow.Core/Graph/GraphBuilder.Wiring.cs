namespace Flow;

public sealed partial class GraphBuilder
{
    /// <summary>Edges: both ends exist, the port is named when it must be, each port leads to one stage, rings have a valid size.</summary>
    private Wiring WireEdges(Dictionary<string, StageNode> nodes, List<GraphError> errors)
    {
        var wiring = new Wiring([], [], []);
        foreach ((EdgeDeclaration declared, int ringCapacity, bool backPressure, bool feedback) in _edges)
        {
            string edge = $"edge {declared.From} -> {declared.To}";
            EndpointRef from = EndpointRef.Parse(declared.From);
            string to = declared.To;
            if (!nodes.TryGetValue(from.Stage, out StageNode? source))
            {
                errors.Add(new GraphError(GraphErrorKind.UnknownStage, $"{edge}: no stage named '{from.Stage}'", Stage: from.Stage, Edge: declared));
                continue;
            }
            if (!nodes.TryGetValue(to, out StageNode? target))
            {
                errors.Add(new GraphError(GraphErrorKind.UnknownStage,
                    $"{edge}: no stage named '{to}'" + (to.Contains(':') ? " (the target of an edge is a stage, not a port)" : ""), Stage: to, Edge: declared));
                continue;
            }
            PortDescriptor? port = FindPort(edge, declared, source, from, errors);
            if (port is null)
            {
                continue;
            }
            if (target.Stage.IsSource)
            {
                errors.Add(new GraphError(GraphErrorKind.TargetIsSource,
                    $"{edge}: stage '{to}' ({target.Descriptor.TypeName}) is a source and takes no input", Stage: to, Edge: declared));
                continue;
            }
            var output = new OutputPort(source, port.Index);
            if (wiring.Links.TryGetValue(output, out PortLink existing))
            {
                errors.Add(new GraphError(GraphErrorKind.PortConnectedTwice,
                    $"{edge}: port '{from.Stage}:{port.Name}' is already connected to '{existing.Target.Name}'; a port leads to one stage",
                    Stage: from.Stage, Port: port.Name, Edge: declared));
                continue;
            }
            bool throughRing = feedback || source.Worker != target.Worker;
            if (throughRing && (ringCapacity < 2 || !System.Numerics.BitOperations.IsPow2(ringCapacity)))
            {
                errors.Add(new GraphError(GraphErrorKind.InvalidRingCapacity,
                    $"{edge}: ring capacity {ringCapacity} must be a power of two, at least 2", Edge: declared));
                continue;
            }
            wiring.Links.Add(output, new PortLink(target, ringCapacity, backPressure, feedback, declared));
            wiring.Inputs.Add(target);
            wiring.Edges.Add(new EdgeInfo(from.Stage, port.Name, to, throughRing ? ringCapacity : 0, throughRing && backPressure, feedback));
        }
        return wiring;
    }

    /// <summary>The port an edge leaves from: the one it names, or the stage's only port when it names none.</summary>
    private static PortDescriptor? FindPort(string edge, EdgeDeclaration declared, StageNode source, EndpointRef from, List<GraphError> errors)
    {
        IReadOnlyList<PortDescriptor> ports = source.Descriptor.Ports;
        string stage = $"stage '{from.Stage}' ({source.Descriptor.TypeName})";
        if (from.Port is null)
        {
            if (ports.Count == 1)
            {
                return ports[0];
            }
            errors.Add(ports.Count == 0
                ? new GraphError(GraphErrorKind.NoOutputPorts, $"{edge}: {stage} has no output ports", Stage: from.Stage, Edge: declared)
                : new GraphError(GraphErrorKind.PortNotNamed,
                    $"{edge}: {stage} has ports {string.Join(", ", ports.Select(p => p.Name))}; name one as '{from.Stage}:<port>'",
                    Stage: from.Stage, Edge: declared));
            return null;
        }
        PortDescriptor? port = source.Descriptor.FindPort(from.Port);
        if (port is null)
        {
            errors.Add(new GraphError(GraphErrorKind.UnknownPort,
                $"{edge}: {stage} has no port '{from.Port}'" +
                    (ports.Count == 0 ? "; it has no output ports" : $"; its ports are {string.Join(", ", ports.Select(p => p.Name))}"),
                Stage: from.Stage, Port: from.Port, Edge: declared));
        }
        return port;
    }

    /// <summary>
    /// Checks each edge's carried type against what its target accepts. Pass-through ports
    /// (<see cref="Carries.SameAsInput"/>) carry the common type of every edge into their stage, found
    /// by iterating to a fixed point; a pass-through stage in a loop falls back to what it accepts.
    /// </summary>
    private static void CheckPortTypes(Dictionary<OutputPort, PortLink> links, List<GraphError> errors)
    {
        var inputType = new Dictionary<StageNode, Type>(ReferenceEqualityComparer.Instance);
        Type? Carried(OutputPort output)
        {
            Type declared = output.Node.Descriptor.Ports[output.Port].Carries;
            if (declared != typeof(Carries.SameAsInput))
            {
                return declared;
            }
            return inputType.TryGetValue(output.Node, out Type? input) ? input : null;
        }
        for (int round = 0; round <= links.Count; round++)
        {
            bool changed = false;
            foreach (IGrouping<StageNode, KeyValuePair<OutputPort, PortLink>> into in links.GroupBy(l => l.Value.Target))
            {
                Type? common = null;
                bool complete = true;
                foreach (KeyValuePair<OutputPort, PortLink> link in into)
                {
                    Type? carried = Carried(link.Key);
                    if (carried is null)
                    {
                        complete = false;
                        break;
                    }
                    common = common is null ? carried : CommonBase(common, carried);
                }
                if (complete && common is not null && (!inputType.TryGetValue(into.Key, out Type? known) || known != common))
                {
                    inputType[into.Key] = common;
                    changed = true;
                }
            }
            if (!changed)
            {
                break;
            }
        }
        foreach ((OutputPort output, PortLink link) in links)
        {
            StageNode source = output.Node;
            StageNode target = link.Target;
            string port = source.Descriptor.Ports[output.Port].Name;
            Type carried = Carried(output) ?? source.Descriptor.Accepts;
            if (!target.Descriptor.Accepts.IsAssignableFrom(carried))
            {
                errors.Add(new GraphError(GraphErrorKind.PortTypeMismatch,
                    $"edge {source.Name}:{port} -> {target.Name}: port '{source.Name}:{port}' carries {carried.Name} but stage '{target.Name}' ({target.Descriptor.TypeName}) accepts {target.Descriptor.Accepts.Name}",
                    Stage: source.Name, Port: port, Edge: link.Declaration));
            }
        }
    }

    private static Type CommonBase(Type a, Type b)
    {
        Type? candidate = a;
        while (candidate is not null && !candidate.IsAssignableFrom(b))
        {
            candidate = candidate.BaseType;
        }
        return candidate ?? typeof(Carries.Any);
    }

    /// <summary>Every port leads somewhere and every stage but a source is led into.</summary>
    private static void CheckEveryPortAndInputConnected(Dictionary<string, StageNode> nodes, Wiring wiring, List<GraphError> errors)
    {
        foreach (StageNode node in nodes.Values)
        {
            foreach (PortDescriptor port in node.Descriptor.Ports)
            {
                if (!wiring.Links.ContainsKey(new OutputPort(node, port.Index)))
                {
                    errors.Add(new GraphError(GraphErrorKind.PortNotConnected,
                        $"stage '{node.Name}' ({node.Descriptor.TypeName}): port '{port.Name}' is not connected; connect it (to a 'drop' stage if its packets are unwanted)",
                        Stage: node.Name, Port: port.Name));
                }
            }
            if (!node.Stage.IsSource && !wiring.Inputs.Contains(node))
            {
                errors.Add(new GraphError(GraphErrorKind.NoInput, $"stage '{node.Name}' ({node.Descriptor.TypeName}) has no input: nothing is connected to it",
                    Stage: node.Name));
            }
        }
    }
}
