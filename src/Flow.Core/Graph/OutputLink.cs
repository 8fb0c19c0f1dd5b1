namespace Flow;

/// <summary>
/// Where one output port leads. Stages append to <see cref="Buffer"/> directly (no call per
/// packet); <see cref="Overflow"/> runs only when that buffer is full.
/// </summary>
internal abstract class OutputLink
{
    protected OutputLink(PacketBatch buffer) => Buffer = buffer;

    public PacketBatch Buffer { get; }

    /// <summary>
    /// The stage this port feeds on the same worker when this port is its only input: a batch
    /// sent whole may run there at once (<see cref="StageNode"/>'s RunOn). Null for a ring, and
    /// for a stage several edges feed.
    /// </summary>
    public StageNode? InPlaceTarget { get; protected init; }

    /// <summary>Makes room in a full <see cref="Buffer"/>.</summary>
    public abstract void Overflow();
}
