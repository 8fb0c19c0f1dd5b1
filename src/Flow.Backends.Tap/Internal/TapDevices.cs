namespace Flow.Backends.Tap;

/// <summary>
/// Shares one <see cref="TapDevice"/> per (interface, queue) between the <c>tap_rx</c> and
/// <c>tap_tx</c> stages that name it: a tap queue is one fd, and a second TUNSETIFF on a
/// single-queue tap fails with EBUSY. The fd closes when the last stage lets go.
/// </summary>
internal static class TapDevices
{
    private static readonly Dictionary<string, (TapDevice Device, int References)> s_open = new(StringComparer.Ordinal);
    private static readonly Lock s_lock = new();

    public static TapDevice Acquire(TapOptions options)
    {
        if (string.IsNullOrEmpty(options.Interface))
        {
            ThrowHelper.ThrowArgument(nameof(options), "tap stages need an Interface name");
        }
        string key = Key(options.Interface, options.MultiQueue ? options.Queue : 0);
        lock (s_lock)
        {
            if (s_open.TryGetValue(key, out (TapDevice Device, int References) entry))
            {
                s_open[key] = (entry.Device, entry.References + 1);
                return entry.Device;
            }
            TapDevice device = TapDevice.Open(options);
            s_open[key] = (device, 1);
            return device;
        }
    }

    public static void Release(TapDevice device, int queue)
    {
        string key = Key(device.Name, queue);
        lock (s_lock)
        {
            if (!s_open.TryGetValue(key, out (TapDevice Device, int References) entry) || !ReferenceEquals(entry.Device, device))
            {
                return;
            }
            if (entry.References > 1)
            {
                s_open[key] = (device, entry.References - 1);
                return;
            }
            s_open.Remove(key);
        }
        device.Dispose();
    }

    private static string Key(string name, int queue) => $"{name}#{queue}";
}
