namespace Flow.Backends.Loop;

/// <summary>Options of <c>loop_rx</c> and <c>loop_tx</c> made from a graph file: which wire (by name, shared in the process) and which end.</summary>
public sealed record LoopOptions
{
    /// <summary>Wire name; stages naming the same wire are joined (see <see cref="LoopWires"/>).</summary>
    public string Wire { get; init; } = "loop";

    /// <summary>"a" or "b".</summary>
    public string End { get; init; } = "a";

    /// <summary>Ring capacity per direction, used by whichever stage creates the wire first.</summary>
    public int Capacity { get; init; } = LoopWire.DefaultCapacity;

    /// <summary>
    /// The <see cref="PacketMeta.InputPort"/> frames received by <c>loop_rx</c> carry (a switch
    /// port's id, so a graph with several wires tells them apart). Unset: 0, the queue index of an end.
    /// </summary>
    public ushort? InputPort { get; init; }
}
