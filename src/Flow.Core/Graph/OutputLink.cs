namespace Flow;

/// <summary>
/// Where one output port leads. Stages append to <see cref="Buffer"/> directly (no call per
/// packet); <see cref="Overflow"/> runs only when that buffer is full.
/// </summary>
internal abstract class OutputLink
{
    protected OutputLink(PacketBatch buffer) => Buffer = buffer;

    public PacketBatch Buffer { get; }

    /// <summary>The stage this port feeds directly on the same worker; null for a ring.</summary>
    public StageNode? LocalTarget { get; protected init; }

    /// <summary>Makes room in a full <see cref="Buffer"/>.</summary>
    public abstract void Overflow();
}
