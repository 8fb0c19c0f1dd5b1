namespace Flow.Backends.Dpdk;

/// <summary>
/// Shares one <see cref="DpdkPort"/> per device string between the <c>dpdk_rx</c> and
/// <c>dpdk_tx</c> stages that name it (every queue of a port, both directions): DPDK probes a
/// device once. The port closes when the last stage lets go.
/// </summary>
internal static class DpdkPorts
{
    private static readonly DeviceRegistry<string, DpdkOptions, DpdkPort> s_open = new("DPDK port", StringComparer.Ordinal);

    public static int Count => s_open.Count;

    /// <summary>The port of <paramref name="options"/>' device, opened by the first stage that asks; <paramref name="key"/> is what to release it with.</summary>
    public static DpdkPort Acquire(DpdkOptions options, out string key)
    {
        key = options.ResolvedDevice;
        if (key.Length == 0)
        {
            ThrowHelper.ThrowArgument(nameof(options), "dpdk stages need a Device (net_ring0, net_memif0,socket=..., a PCI address) or an Interface for net_af_packet");
        }
        // What the stages of one port must agree on: everything but their own queue and input port.
        DpdkOptions port = options with { Queue = 0, InputPort = null, Interface = "", Device = key };
        return s_open.Acquire(key, port, static (_, o) => DpdkPort.Open(o));
    }

    public static void Release(string key, DpdkPort port) => s_open.Release(key, port);
}
