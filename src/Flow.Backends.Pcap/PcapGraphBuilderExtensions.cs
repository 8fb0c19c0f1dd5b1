namespace Flow.Backends.Pcap;

/// <summary>Capture any edge of a graph by configuration.</summary>
public static class PcapGraphBuilderExtensions
{
    /// <summary>
    /// Connects <paramref name="from"/> (<c>"stage:port"</c>) to <paramref name="to"/> through a
    /// <see cref="PcapTap"/> named <paramref name="name"/> on <paramref name="worker"/>, instead
    /// of directly: the stages on both sides stay as they are.
    /// </summary>
    public static GraphBuilder Capture(this GraphBuilder builder, string from, string to, string name, PcapOptions options,
        int worker = 0, int ringCapacity = GraphBuilder.DefaultRingCapacity) =>
        builder.Add(name, new PcapTap(options), worker)
            .Connect(from, name, ringCapacity)
            .Connect(name, to, ringCapacity);
}
