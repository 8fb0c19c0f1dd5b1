namespace Flow.Hosting.Tests;

/// <summary>Test stage with rich options; passes packets through.</summary>
[Stage("shaper", "Test stage: passes packets through; rich options.")]
public sealed class Shaper(ShaperOptions options) : Stage<Shaper.Output, NoDrop>
{
    public enum Output : byte
    {
        [Port(typeof(Carries.SameAsInput), "every packet")]
        Out,
    }

    public ShaperOptions Options { get; } = options;

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts) =>
        nexts.Slice(0, packets.Length).Fill(To(Output.Out));
}
