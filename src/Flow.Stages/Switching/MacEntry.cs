using Flow.Protocols.Ethernet;

namespace Flow.Stages.Switching;

/// <summary>
/// One row of the MAC table. <paramref name="PortId"/> is the input-port id frames from the
/// address arrived with; <paramref name="Port"/> its switch port name where known
/// (<see cref="SwitchControl"/> fills it in).
/// </summary>
public sealed record MacEntry(ushort Vlan, MacAddress Mac, ushort PortId, bool IsStatic, TimeSpan Age, string? Port = null)
{
    public override string ToString() =>
        $"vlan {Vlan} {Mac} -> {Port ?? PortId.ToString(System.Globalization.CultureInfo.InvariantCulture)}{(IsStatic ? " static" : $" age {Age.TotalSeconds:0}s")}";
}
