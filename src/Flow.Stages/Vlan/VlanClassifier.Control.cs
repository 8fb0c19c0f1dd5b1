using Flow.Stages.Switching;

namespace Flow.Stages.Vlan;

// Control messages: run by the owning worker between batches (FlowGraph.InvokeAsync).
public sealed partial class VlanClassifier
{
    /// <summary>The port table in use.</summary>
    public SwitchPortTable Ports => _ports;

    /// <summary>
    /// Changes one port's VLAN mode (found by name; its id stays). Throws
    /// <see cref="SwitchConfigurationException"/> naming the bad value and changes nothing.
    /// </summary>
    public SwitchPortTable SetPort(SwitchPortOptions port)
    {
        _ports = _ports.WithPort(port);
        return _ports;
    }

    /// <summary>Receive counters per port, in port order.</summary>
    public IReadOnlyList<SwitchPortCounters> GetPortCounters()
    {
        var counters = new SwitchPortCounters[_ports.Count];
        for (int p = 0; p < counters.Length; p++)
        {
            counters[p] = new SwitchPortCounters(_ports.Ports[p].Name, _receivedByPort[p], _droppedByPort[p], 0, 0);
        }
        return counters;
    }

    /// <summary>Frames classified per VLAN, for VLANs that saw any.</summary>
    public IReadOnlyList<SwitchVlanCounters> GetVlanCounters()
    {
        var counters = new List<SwitchVlanCounters>();
        for (int v = 0; v < _receivedByVlan.Length; v++)
        {
            if (_receivedByVlan[v] != 0)
            {
                counters.Add(new SwitchVlanCounters((ushort)v, _receivedByVlan[v], 0, 0, 0, 0));
            }
        }
        return counters;
    }
}
