namespace Flow.Hosting.Tests;

/// <summary>
/// A sink the tests register with a factory that hands out one instance, as a DI singleton
/// would: the builder must refuse to place it twice. No [Stage] attribute, for the reason
/// given on <see cref="TwoWay"/>.
/// </summary>
public sealed class SharedSink : Stage<NoOutput, NoDrop>
{
    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        PacketPools.Free(packets);
        nexts.Slice(0, packets.Length).Fill(Next.Consumed);
    }
}
