using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Flow.Net.Tcp;

/// <summary>
/// A connection's send buffer as a <see cref="PipeWriter"/>, without a copy: <see cref="GetMemory"/>
/// hands out the send ring's own free space past what was written, <see cref="Advance"/> counts
/// what the caller wrote there, and <see cref="FlushAsync"/> publishes it to the worker (it is
/// sent as the window and Nagle allow, as a stream write would be). <see cref="Complete"/> sends a
/// FIN after the data.
/// </summary>
/// <remarks>
/// Design: the application is the send ring's only producer, and the worker reads only between
/// the head and the tail, so the space past the tail is the writer's until it publishes it. When
/// that space is too short for the size asked (the ring is full, or the free space wraps before
/// <c>sizeHint</c> bytes), the writer hands out memory of its own instead, and everything written
/// after that goes there too, to keep the order; the flush copies it into the ring as room
/// appears and completes once the ring took all of it — the backpressure a full send buffer
/// gives a stream write. So a writer that writes more than the ring holds works, in pieces, and
/// a writer that asks for no more than the ring's free space never copies.
/// </remarks>
internal sealed class FlowTcpPipeWriter : PipeWriter
{
    private readonly FlowTcpStream _stream;
    private readonly TcpConnection _connection;
    private readonly ArrayBufferWriter<byte> _overflow = new();
    private int _unflushed;        // bytes written in place past the ring's tail, not published yet
    private int _overflowCopied;   // bytes of _overflow already in the ring
    private bool _handedRing;      // the last GetMemory gave ring memory (else overflow memory)
    private int _handedLength;
    private int _cancelPending;
    private bool _completed;

    internal FlowTcpPipeWriter(FlowTcpStream stream)
    {
        _stream = stream;
        _connection = stream.Connection;
    }

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _unflushed + _overflow.WrittenCount - _overflowCopied;

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        ThrowIfCompleted();
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        if (_overflow.WrittenCount == 0)
        {
            Memory<byte> free = _connection.Send.FreeSpace(_unflushed);
            if (free.Length >= Math.Max(sizeHint, 1))
            {
                _handedRing = true;
                _handedLength = free.Length;
                return free;
            }
        }
        _handedRing = false;
        return _overflow.GetMemory(sizeHint);
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override void Advance(int bytes)
    {
        ThrowIfCompleted();
        if (!_handedRing)
        {
            _overflow.Advance(bytes);
            return;
        }
        if ((uint)bytes > (uint)_handedLength)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "more than the memory handed out");
        }
        _unflushed += bytes;
        _handedLength -= bytes;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfCompleted();
        ThrowIfCannotSend();
        Publish();
        while (_overflowCopied < _overflow.WrittenCount)
        {
            if (Interlocked.Exchange(ref _cancelPending, 0) == 1)
            {
                return new FlushResult(isCanceled: true, isCompleted: false);
            }
            if (CopyOverflow())
            {
                continue;
            }
            ThrowIfCannotSend();
            await _connection.SendSignal.WaitUnlessAsync(static w => w.CanProceed, this, cancellationToken).ConfigureAwait(false);
        }
        Interlocked.Exchange(ref _cancelPending, 0);
        return new FlushResult(isCanceled: false, isCompleted: false);
    }

    /// <summary>Ends the pending (or next) flush with <see cref="FlushResult.IsCanceled"/> set; what was written stays queued.</summary>
    public override void CancelPendingFlush()
    {
        Volatile.Write(ref _cancelPending, 1);
        _connection.SendSignal.Wake();
    }

    /// <summary>
    /// Publishes what was written and sends a FIN after it. Written data the ring has no room for
    /// yet goes on in the background; <see cref="CompleteAsync"/> waits for it instead.
    /// </summary>
    public override void Complete(Exception? exception = null)
    {
        if (_completed)
        {
            return;
        }
        _completed = true;
        Publish();
        while (_overflowCopied < _overflow.WrittenCount && CopyOverflow())
        {
        }
        if (_overflowCopied < _overflow.WrittenCount)
        {
            _ = DrainThenShutdownAsync();
            return;
        }
        _stream.Shutdown();
    }

    public override async ValueTask CompleteAsync(Exception? exception = null)
    {
        if (_completed)
        {
            return;
        }
        _completed = true;
        Publish();
        await DrainThenShutdownAsync().ConfigureAwait(false);
    }

    private bool CanProceed =>
        Volatile.Read(ref _cancelPending) == 1 || _connection.Send.Free > 0
        || Volatile.Read(ref _connection.Error) != 0 || _connection.State == TcpState.Closed;

    /// <summary>Makes what was written in place readable for the worker and asks it to send.</summary>
    private void Publish()
    {
        if (_unflushed > 0)
        {
            _connection.Send.Publish(_unflushed);
            _unflushed = 0;
            _handedLength = 0;
            _stream.Host.Tcp.Request(_connection);
        }
    }

    /// <summary>Copies as much of the overflow as the ring takes; false when it took nothing.</summary>
    private bool CopyOverflow()
    {
        int copied = _connection.Send.Write(_overflow.WrittenSpan.Slice(_overflowCopied));
        if (copied == 0)
        {
            return false;
        }
        _overflowCopied += copied;
        _stream.Host.Tcp.Request(_connection);
        if (_overflowCopied == _overflow.WrittenCount)
        {
            _overflow.ResetWrittenCount();
            _overflowCopied = 0;
        }
        return true;
    }

    /// <summary>Copies the rest of the overflow as room appears, then sends the FIN; a failed connection ends it early.</summary>
    private async Task DrainThenShutdownAsync()
    {
        try
        {
            while (_overflowCopied < _overflow.WrittenCount)
            {
                if (!CopyOverflow())
                {
                    ThrowIfCannotSend();
                    await _connection.SendSignal.WaitUnlessAsync(static w => w.CanProceed, this, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (IOException)
        {
            // The connection failed or closed: the data cannot go anywhere, and the peer learns of it from the reset.
            return;
        }
        _stream.Shutdown();
    }

    private void ThrowIfCannotSend()
    {
        _stream.ThrowIfFailed();
        if (Volatile.Read(ref _connection.SendClosed) == 1)
        {
            throw new IOException("the connection was shut down for sending", new SocketException((int)SocketError.Shutdown));
        }
        if (_connection.State == TcpState.Closed)
        {
            throw new IOException("the connection is closed", new SocketException((int)SocketError.Shutdown));
        }
    }

    private void ThrowIfCompleted()
    {
        if (_completed)
        {
            throw new InvalidOperationException("the writer was completed");
        }
    }
}
