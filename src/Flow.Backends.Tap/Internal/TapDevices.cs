namespace Flow.Backends.Tap;

/// <summary>
/// Shares one <see cref="TapDevice"/> per (interface, queue) between the <c>tap_rx</c> and
/// <c>tap_tx</c> stages that name it: a tap queue is one fd, and a second TUNSETIFF on a
/// single-queue tap fails with EBUSY. The fd closes when the last stage lets go.
/// </summary>
internal static class TapDevices
{
    private static readonly DeviceRegistry<string, TapOptions, TapDevice> s_open = new("TAP", StringComparer.Ordinal);

    /// <summary>The device of <paramref name="options"/>' interface and queue, opened by the first stage that asks; <paramref name="key"/> is what to release it with.</summary>
    public static TapDevice Acquire(TapOptions options, out string key)
    {
        if (string.IsNullOrEmpty(options.Interface))
        {
            ThrowHelper.ThrowArgument(nameof(options), "tap stages need an Interface name");
        }
        key = $"{options.Interface} queue {(options.MultiQueue ? options.Queue : 0)}";
        // What the stages of one queue must agree on: everything but the rx stage's own pool and
        // input port. A second stage with another MTU or MAC would otherwise run on the first's.
        TapOptions device = options with { PoolFrames = 0, InputPort = null };
        return s_open.Acquire(key, device, static (_, o) => TapDevice.Open(o));
    }

    public static void Release(string key, TapDevice device) => s_open.Release(key, device);
}
