namespace Flow;

/// <summary>
/// A stage that can say in one line what it did to a traced packet (ARP: "held for
/// 10.0.0.5"; a switch: "learned 02:00:00:00:00:0a on port 1, VLAN 10"). A packet trace calls it
/// on the stage's worker right after the batch, before the packets move on, so it may read the
/// stage's state; it is never called when no trace runs.
/// </summary>
public interface ITraceNote
{
    /// <summary>The note for <paramref name="packet"/>, which left by <paramref name="next"/>; null for none.</summary>
    /// <param name="packet">The traced packet (its bytes are readable unless <paramref name="next"/> is consumed and the stage sent it).</param>
    /// <param name="next">Where it went.</param>
    /// <returns>One line, or null.</returns>
    string? TraceNote(Packet packet, Next next);
}
