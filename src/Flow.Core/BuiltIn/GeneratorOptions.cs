namespace Flow;

/// <summary>Options of the <c>generator</c> stage.</summary>
public sealed record GeneratorOptions
{
    /// <summary>
    /// The frame to send, as hex (spaces allowed). Empty: a 64-byte Ethernet/IPv4/UDP frame
    /// from 02:00:00:00:00:01 10.0.0.1:1024 to 02:00:00:00:00:02 10.0.0.2:1024.
    /// </summary>
    public string Template { get; init; } = "";

    /// <summary>Frame length in bytes when the template is empty (60 up to the frame's data room).</summary>
    public int FrameSize { get; init; } = 64;

    /// <summary>Packets to send, then the source is exhausted; 0 = without end.</summary>
    public long Count { get; init; }

    /// <summary>Packets per second; 0 = as fast as the worker goes.</summary>
    public long RatePps { get; init; }

    /// <summary>
    /// Where to stamp a 64-bit big-endian sequence number into each frame (tagged traffic);
    /// -1 = no stamp. Also written to <see cref="PacketMeta.Sequence"/>.
    /// </summary>
    public int SequenceOffset { get; init; } = -1;

    /// <summary>Frames in the generator's own pool.</summary>
    public int PoolFrames { get; init; } = 8192;

    /// <summary>Input port written into each packet's metadata.</summary>
    public ushort InputPort { get; init; }
}
