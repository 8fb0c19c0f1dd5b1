namespace Flow.Benchmarks.Infrastructure;

/// <summary>
/// Sends <c>count</c> <see cref="TestFrames"/> frames once (sequences 0..count-1, lengths taken in
/// turn from <c>lengths</c>), allocated from <c>pool</c> (a backend's own memory when the transmit
/// stage sends without copying): the sample a <see cref="FrameChecker"/> at the far end verifies.
/// With <c>echo</c> (the checker of frames a peer returns), it waits for <see cref="Arm"/> and
/// keeps at most one burst in flight: a peer in io mode drops what its tx cannot place at once,
/// and a loss there would be the echo's, not the path's.
/// </summary>
[Stage("bench_sequence_source", "Benchmark source: a counted run of sequenced, verifiable frames.")]
internal sealed class SequenceSource(PacketPool pool, byte[] destination, byte[] source, int count, int[] lengths, FrameChecker? echo = null)
    : SourceStage<SequenceSource.Output, SequenceSource.Reason>
{
    private const int InFlight = 32;
    private int _sent;
    private volatile bool _armed = echo is null;

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

    public void Arm() => _armed = true;

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        if (!_armed)
        {
            return 0;
        }
        int want = Math.Min(packets.Length, count - _sent);
        if (echo is not null)
        {
            want = (int)Math.Min(want, InFlight - (_sent - echo.Checked));
        }
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
