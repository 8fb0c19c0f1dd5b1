using Flow.Stages.Switching.Internal;

namespace Flow.Stages.Switching;

// Control messages: run by the owning worker between batches (FlowGraph.InvokeAsync).
public sealed partial class L2Forwarder : IControlledStage
{
    /// <summary>
    /// The switch's verbs (<c>mac</c>, <c>port</c>, <c>vlan</c>): the forwarder declares them for
    /// its whole switch (the classifier and learner that feed it), so a graph offers them once
    /// per switch and <c>flow ctl</c> needs to know none of them.
    /// </summary>
    IReadOnlyList<IControlCommand> IControlledStage.ControlCommands => SwitchControlCommands.All;

    /// <summary>The port table in use.</summary>
    public SwitchPortTable Ports => _ports;

    /// <summary>
    /// Changes one port's VLAN mode (found by name; its id and output port stay). Throws
    /// <see cref="SwitchConfigurationException"/> naming the bad value and changes nothing.
    /// </summary>
    public SwitchPortTable SetPort(SwitchPortOptions port)
    {
        _ports = _ports.WithPort(port);
        return _ports;
    }

    /// <summary>Send counters per port (and frames from the port it dropped), in port order.</summary>
    public IReadOnlyList<SwitchPortCounters> GetPortCounters()
    {
        var counters = new SwitchPortCounters[_ports.Count];
        for (int p = 0; p < counters.Length; p++)
        {
            counters[p] = new SwitchPortCounters(_ports.Ports[p].Name, 0, _droppedByPort[p], _unicastByPort[p], _floodedByPort[p]);
        }
        return counters;
    }

    /// <summary>Forwarding counters per VLAN, for VLANs that saw any.</summary>
    public IReadOnlyList<SwitchVlanCounters> GetVlanCounters()
    {
        var counters = new List<SwitchVlanCounters>();
        for (int v = 0; v < 4096; v++)
        {
            if (_unicastByVlan[v] != 0 || _floodedByVlan[v] != 0 || _droppedByVlan[v] != 0)
            {
                counters.Add(new SwitchVlanCounters((ushort)v, 0, _unicastByVlan[v], _floodedByVlan[v], _copiesByVlan[v], _droppedByVlan[v]));
            }
        }
        return counters;
    }
}
