namespace Flow.Hosting.Tests;

/// <summary>Test stage whose state one worker must own: counts what passes, on the worker that runs it.</summary>
[SingleShard("its tally has one writer")]
[Stage("one_writer_tally", "Test stage: counts packets on one worker.")]
public sealed class OneWriterTally : Stage<OneWriterTally.Output, NoDrop>
{
    private int _thread;

    public enum Output : byte
    {
        [Port(typeof(Carries.Any), "every packet")]
        Out,
    }

    /// <summary>Set when a batch came on a thread other than the first one's: the one-writer rule broken.</summary>
    public bool SawTwoThreads { get; private set; }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        int thread = Environment.CurrentManagedThreadId;
        if (_thread != 0 && _thread != thread)
        {
            SawTwoThreads = true;
        }
        _thread = thread;
        nexts.Slice(0, packets.Length).Fill(To(Output.Out));
    }
}
