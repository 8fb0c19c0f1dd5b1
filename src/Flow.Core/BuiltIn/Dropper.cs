namespace Flow;

/// <summary>
/// Drops every packet it receives with reason <c>dropped</c>: where a graph sends packets it
/// does not want (an unhandled ethertype, say), so that they are counted, never silent.
/// </summary>
[Stage("drop", "Drops every packet, counted as 'dropped'.")]
public sealed class Dropper : Stage<NoOutput, Dropper.Reason>
{
    public enum Reason : byte
    {
        [DropReason("dropped by the graph's configuration", Severity.Info)]
        Dropped,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts) =>
        nexts.Slice(0, packets.Length).Fill(Drop(Reason.Dropped));
}
