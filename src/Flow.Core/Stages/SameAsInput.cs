namespace Flow;

/// <summary>
/// Port type for a pass-through port (counters, taps, capture points): it carries whatever the
/// stage received — the most specific type common to every edge into the stage — resolved
/// when the graph is built.
/// </summary>
public abstract class SameAsInput : AnyPacket
{
    private SameAsInput()
    {
    }
}
