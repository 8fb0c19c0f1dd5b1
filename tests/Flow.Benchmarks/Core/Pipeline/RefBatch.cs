namespace Flow.Benchmarks.Core.Pipeline;

/// <summary>A batch of 32 packet handles as one message, for the TPL Dataflow and Channels references.</summary>
internal sealed class RefBatch
{
    public const int Size = 32;

    public Packet[] Items { get; } = new Packet[Size];

    public int Count { get; set; }
}
