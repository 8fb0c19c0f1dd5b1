namespace Flow.Hosting.Tests;

/// <summary>Test stage accepting only IPv4 packets, so an Ethernet port into it is a type mismatch.</summary>
[Stage("ipv4_counter", "Test stage: counts IPv4 packets.", Accepts = typeof(Carries.Ipv4))]
public sealed class Ipv4Counter : Stage<Ipv4Counter.Output, NoDrop>
{
    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "every packet")]
        Out,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts) =>
        nexts.Slice(0, packets.Length).Fill(To(Output.Out));
}
