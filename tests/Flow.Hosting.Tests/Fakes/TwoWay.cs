namespace Flow.Hosting.Tests;

/// <summary>
/// Test stage with two ports, so an edge from it must name one. No [Stage] attribute (its type
/// name <c>two_way</c> comes from the class name): scanning this assembly does not pick it up,
/// only the tests that register it see it.
/// </summary>
public sealed class TwoWay : Stage<TwoWay.Output, NoDrop>
{
    public enum Output : byte
    {
        Left,
        Right,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts) =>
        nexts.Slice(0, packets.Length).Fill(To(Output.Left));
}
