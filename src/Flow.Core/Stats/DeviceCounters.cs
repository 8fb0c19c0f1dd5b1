namespace Flow;

/// <summary>The counters a port's device keeps itself (<see cref="IDeviceCounters"/>), read through the stage <paramref name="Stage"/>.</summary>
/// <param name="Stage">The first stage (graph order) that reads the device.</param>
/// <param name="Device">The device, as the stage names it.</param>
/// <param name="Counters">Name and value of each counter, in the device's order.</param>
public sealed record DeviceCounters(string Stage, string Device, IReadOnlyList<KeyValuePair<string, long>> Counters);
