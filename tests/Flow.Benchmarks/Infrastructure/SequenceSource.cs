namespace Flow.Benchmarks.Infrastructure;

/// <summary>
/// Sends <c>count</c> <see cref="TestFrames"/> frames once (sequences 0..count-1, lengths taken in
/// turn from <c>lengths</c>), allocated from <c>pool</c> (a backend's own memory when the transmit
/// stage sends without copying): the sample a <see cref="FrameChecker"/> at the far end verifies.
/// </summary>
[Stage("bench_sequence_source", "Benchmark source: a counted run of sequenced, verifiable frames.")]
internal sealed class SequenceSource(PacketPool pool, byte[] destination, byte[] source, int count, int[] lengths)
    : SourceStage<SequenceSource.Output, SequenceSource.Reason>
{
    private int _sent;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "frames")]
        Out,
    }

    public enum Reason : byte
    {
        [DropReason("the pool had no free frame", Severity.Info)]
        PoolEmpty,
    }

    public int Sent => Volatile.Read(ref _sent);

    public override bool IsExhausted => Volatile.Read(ref _sent) >= count;

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        int want = Math.Min(packets.Length, count - _sent);
        if (want <= 0)
        {
            return 0;
        }
        int n = pool.AllocateBulk(packets[..want]);
        for (int i = 0; i < n; i++)
        {
            int sequence = _sent + i;
            Packet packet = packets[i];
            int length = lengths[sequence % lengths.Length];
            if (!packet.TrySetLength(length))
            {
                throw new InvalidOperationException($"a {length}-byte frame does not fit the pool's frames");
            }
            TestFrames.Write(packet.Data, destination, source, (ulong)sequence);
            nexts[i] = To(Output.Out);
        }
        Volatile.Write(ref _sent, _sent + n);
        return n;
    }
}
