namespace Flow.Backends.Loop;

/// <summary>
/// The null device's receive side: never produces a packet and never ends (a placeholder
/// port for graphs under test). Output <c>out</c>: nothing, ever.
/// </summary>
[Stage("null_rx", "Receive side of the null device: produces nothing.")]
public sealed class NullRx : SourceStage<NullRx.Output, NoDrop>
{
    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "nothing")]
        Out,
    }

    public override int Poll(Span<Packet> packets, Span<Next> nexts) => 0;
}
