namespace Flow.Backends.Pcap;

/// <summary>Options of the <c>pcap_rx</c> (replay), <c>pcap_tx</c> (write) and <c>pcap_tap</c> (capture an edge) stages.</summary>
public sealed record PcapOptions
{
    /// <summary>The pcap file to read or write. With rotation, later files are <c>name-1.pcap</c>, <c>name-2.pcap</c>, ...</summary>
    public string Path { get; init; } = "";

    // ---- writing (pcap_tx, pcap_tap) ----

    /// <summary>Bytes of each packet kept in the file (the rest is cut, the original length is kept).</summary>
    public int SnapLength { get; init; } = 65_535;

    /// <summary>Start a new file before one grows past this many bytes; 0 = one file without limit.</summary>
    public long RotateBytes { get; init; }

    /// <summary>Write nanosecond timestamps (magic a1b23c4d); false writes microseconds for old readers.</summary>
    public bool Nanoseconds { get; init; } = true;

    /// <summary>Bytes buffered before a write(2); the buffer is also flushed every <see cref="FlushIntervalMs"/>.</summary>
    public int BufferBytes { get; init; } = 1 << 20;

    /// <summary>Longest time a written packet waits in the buffer before it reaches the file.</summary>
    public int FlushIntervalMs { get; init; } = 200;

    // ---- replay (pcap_rx) ----

    public PcapPace Pace { get; init; } = PcapPace.Fastest;

    /// <summary>Packets per second when <see cref="Pace"/> is <see cref="PcapPace.Rate"/>.</summary>
    public long RatePps { get; init; }

    /// <summary>Multiplier of the recorded pace (2 = twice as fast) when <see cref="Pace"/> is <see cref="PcapPace.Recorded"/>.</summary>
    public double Speed { get; init; } = 1.0;

    /// <summary>Times to replay the file: 1 = once, 0 = forever.</summary>
    public int Loops { get; init; } = 1;

    /// <summary>Frames in the replay pool.</summary>
    public int PoolFrames { get; init; } = 4096;

    /// <summary>Bytes per frame in the replay pool (records longer than its data room are dropped as too_big).</summary>
    public int FrameSize { get; init; } = PacketPool.DefaultFrameSize;

    /// <summary>
    /// The <see cref="PacketMeta.InputPort"/> replayed frames carry (a switch port's id, so a
    /// graph with several sources tells them apart). Unset: 0, the queue index of a file.
    /// </summary>
    public ushort? InputPort { get; init; }
}
