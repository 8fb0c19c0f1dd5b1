using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Flow.Net.Internal;

namespace Flow.Net.Tcp;

/// <summary>
/// A connection's receive buffer as a <see cref="PipeReader"/>, without a copy: the buffer a read
/// returns is the receive ring's own memory from its head to its tail, in two segments when the
/// data wraps past the ring's end. <see cref="AdvanceTo(SequencePosition, SequencePosition)"/>
/// frees what was consumed for the worker to fill (the window grows, and the worker is asked for
/// a window update as a stream read would), and a read waits for data past what was examined.
/// </summary>
/// <remarks>
/// Design: the worker writes only past the ring's tail (in-order data, and data held ahead of a
/// gap) and publishes the tail with a release store; the reader owns the head. Bytes between head
/// and tail therefore stay as they are until the reader releases them, so handing them out in
/// place is safe. Positions in the returned sequence are ring positions: each segment's
/// <see cref="ReadOnlySequenceSegment{T}.RunningIndex"/> is the ring position of its first byte,
/// so a <see cref="SequencePosition"/> maps back to a ring position without a search. The two
/// segments are reused by every read (a returned buffer is valid until the next AdvanceTo, as
/// with any PipeReader), so a read allocates nothing.
/// </remarks>
internal sealed class FlowTcpPipeReader : PipeReader
{
    private readonly FlowTcpStream _stream;
    private readonly TcpConnection _connection;
    private readonly RingSegment _first = new();
    private readonly RingSegment _second = new();
    // Ring positions: what the last read returned ends at _readEnd; the next read waits for data past _examined.
    private long _readEnd;
    private long _examined;
    private int _cancelPending;
    private bool _completed;

    internal FlowTcpPipeReader(FlowTcpStream stream)
    {
        _stream = stream;
        _connection = stream.Connection;
        _readEnd = _examined = _connection.Receive.Head;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfCompleted();
        while (true)
        {
            if (TryRead(out ReadResult result))
            {
                return result;
            }
            await _connection.ReceiveSignal.WaitUnlessAsync(static r => r.HasNews, this, cancellationToken).ConfigureAwait(false);
        }
    }

    public override bool TryRead(out ReadResult result)
    {
        ThrowIfCompleted();
        ByteRing ring = _connection.Receive;
        if (Interlocked.Exchange(ref _cancelPending, 0) == 1)
        {
            result = new ReadResult(Sequence(ring.Head, ring.Tail), isCanceled: true, isCompleted: false);
            return true;
        }
        // PeerFinished is set after the last data was published, so reading it first means the tail read next is final.
        bool finished = Volatile.Read(ref _connection.PeerFinished) == 1;
        long tail = ring.Tail;
        if (finished || tail > _examined)
        {
            result = new ReadResult(Sequence(ring.Head, tail), isCanceled: false, isCompleted: finished);
            return true;
        }
        _stream.ThrowIfFailed();
        result = default;
        return false;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        ThrowIfCompleted();
        long head = _connection.Receive.Head;
        long consumedAt = PositionOf(consumed);
        long examinedAt = PositionOf(examined);
        if (consumedAt < head || consumedAt > _readEnd || examinedAt < consumedAt || examinedAt > _readEnd)
        {
            throw new ArgumentOutOfRangeException(nameof(consumed), "the positions are not in the buffer the last read returned, or examined is before consumed");
        }
        _examined = examinedAt;
        if (consumedAt > head)
        {
            _stream.ReleaseReceived(consumedAt);
        }
    }

    /// <summary>Ends the pending (or next) read with <see cref="ReadResult.IsCanceled"/> set.</summary>
    public override void CancelPendingRead()
    {
        Volatile.Write(ref _cancelPending, 1);
        // A wake from this thread is as good as the worker's: whoever claims the armed signal completes the wait once.
        _connection.ReceiveSignal.Wake();
    }

    /// <summary>The reader is done; the connection stays open (dispose the stream to close it).</summary>
    public override void Complete(Exception? exception = null) => _completed = true;

    private bool HasNews =>
        Volatile.Read(ref _cancelPending) == 1 || _connection.Receive.Tail > _examined
        || Volatile.Read(ref _connection.PeerFinished) == 1 || Volatile.Read(ref _connection.Error) != 0;

    private ReadOnlySequence<byte> Sequence(long head, long tail)
    {
        _readEnd = tail;
        (ReadOnlyMemory<byte> first, ReadOnlyMemory<byte> second) = _connection.Receive.Readable(head, tail);
        _first.Set(first, head, second.IsEmpty ? null : _second);
        if (second.IsEmpty)
        {
            return new ReadOnlySequence<byte>(_first, 0, _first, first.Length);
        }
        _second.Set(second, head + first.Length, null);
        return new ReadOnlySequence<byte>(_first, 0, _second, second.Length);
    }

    private long PositionOf(SequencePosition position) =>
        position.GetObject() is RingSegment segment
            ? segment.RunningIndex + position.GetInteger()
            : throw new ArgumentOutOfRangeException(nameof(position), "not a position in a buffer this reader returned");

    private void ThrowIfCompleted()
    {
        if (_completed)
        {
            throw new InvalidOperationException("the reader was completed");
        }
    }

    /// <summary>A piece of the ring, at its ring position.</summary>
    private sealed class RingSegment : ReadOnlySequenceSegment<byte>
    {
        public void Set(ReadOnlyMemory<byte> memory, long position, RingSegment? next)
        {
            Memory = memory;
            RunningIndex = position;
            Next = next;
        }
    }
}
