namespace Flow.Hosting.Internal;

/// <summary>
/// <c>devices</c>: the ports' own device counters (a DPDK port's xstats, an AF_XDP socket's
/// statistics), as the device names them, read now; Prometheus has the same as
/// <c>flow_device_counter</c>.
/// </summary>
internal sealed class DevicesControlCommand : IControlCommand
{
    public string Name => "devices";

    public string Help => "The ports' own device counters (DPDK xstats, AF_XDP socket statistics): stage, device, counter, value.";

    public IReadOnlyList<ControlArgument> Arguments => [];

    public Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        IReadOnlyList<DeviceCounters> devices = request.Graph.GetDeviceCounters();
        var rows = devices.SelectMany(d => d.Counters.Select(c => (IReadOnlyList<string>)[d.Stage, d.Device, c.Key, ControlProtocol.Count(c.Value)])).ToList();
        return Task.FromResult(ControlReply.Table(["stage", "device", "counter", "value"], rows,
            devices.Count == 0 ? "no port of this graph has device counters (DPDK and AF_XDP ports do)" : $"{devices.Count} devices"));
    }
}
