namespace Flow.Samples.HostedJsonGraph;

/// <summary>
/// Sends each frame to <c>small</c> or <c>large</c> by its length: a user stage that lives in
/// this sample's own assembly and is used by name from <c>graph.json</c>.
/// Output <c>small</c>: frames of at most <c>threshold</c> bytes. Output <c>large</c>: the rest.
/// Drop reason <c>runt</c>: frames shorter than an Ethernet header.
/// </summary>
[Stage("size_classifier", "Splits frames into small and large by length.", Accepts = typeof(Carries.Ethernet))]
public sealed class SizeClassifier(SizeClassifierOptions options) : Stage<SizeClassifier.Output, SizeClassifier.Reason>
{
    private readonly int _threshold = options.Threshold;

    public enum Output : byte
    {
        [Port(typeof(Carries.SameAsInput), "frames of at most 'threshold' bytes")]
        Small,

        [Port(typeof(Carries.SameAsInput), "frames longer than 'threshold' bytes")]
        Large,
    }

    public enum Reason : byte
    {
        [DropReason("frame shorter than an Ethernet header", Severity.Warning)]
        Runt,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        for (int i = 0; i < packets.Length; i++)
        {
            int length = packets[i].Length;
            nexts[i] = length < 14 ? Drop(Reason.Runt) : length <= _threshold ? To(Output.Small) : To(Output.Large);
        }
    }
}
