using Flow.Stages.Arp.Internal;
using Flow.Stages.Ipv4;

namespace Flow.Stages.Arp;

// Control messages: run by the owning worker between batches (FlowGraph.InvokeAsync).
public sealed partial class ArpResponder
{
    /// <summary>The interface table in use.</summary>
    public RouterInterfaceTable Interfaces => _interfaces;

    /// <summary>
    /// Replaces the interface table (addresses changed at run time): the same interfaces by name
    /// and order, since each is an output port; every address that is new gets a gratuitous ARP
    /// at the next tick (research 1.2 A2).
    /// </summary>
    public void SetInterfaces(RouterInterfaceTable interfaces)
    {
        ArgumentNullException.ThrowIfNull(interfaces);
        if (interfaces.Count != _interfaces.Count
            || !interfaces.Interfaces.Select(i => i.Name).SequenceEqual(_interfaces.Interfaces.Select(i => i.Name), StringComparer.Ordinal))
        {
            throw new RouterConfigurationException(
                $"interfaces {string.Join(", ", interfaces.Interfaces.Select(i => i.Name))} differ from this arp stage's ports {string.Join(", ", _interfaces.Interfaces.Select(i => i.Name))}");
        }
        var addresses = new InterfaceAddresses(interfaces);
        for (int i = 0; i < interfaces.Count; i++)
        {
            foreach (uint address in addresses.Of(i))
            {
                if (!_addresses.IsOwn(i, address) || interfaces.MacOf(i) != _interfaces.MacOf(i))
                {
                    _announce.Add((i, address));
                }
            }
        }
        _interfaces = interfaces;
        _addresses = addresses;
    }

    /// <summary>The stage's counters, for control output.</summary>
    public ArpCounters GetCounters() => new(_replies, _learned, _created, _conflicts, _tableFull, _requestsSent, _gratuitousSent,
        _poolEmpty, _failed, _aged);
}
