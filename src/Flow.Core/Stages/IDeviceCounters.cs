namespace Flow;

/// <summary>
/// A port stage whose device keeps counters of its own beside the stage's (DPDK's xstats, the
/// kernel's XDP_STATISTICS): frames the device dropped before Flow saw them, descriptors it
/// refused. Read off the data path — by a metrics scrape or a control request — so reading may
/// cost a system call, never a worker's time.
/// </summary>
public interface IDeviceCounters
{
    /// <summary>The device the counters are of (a DPDK device string, an interface and queue); stages sharing a device name it alike.</summary>
    string CounterDevice { get; }

    /// <summary>The counters now, by the device's own names; empty when the device is not open.</summary>
    IReadOnlyList<KeyValuePair<string, long>> ReadDeviceCounters();
}
