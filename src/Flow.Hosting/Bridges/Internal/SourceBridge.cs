using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Flow.Hosting.Internal;

/// <summary>
/// The hand-off between application writers and a <see cref="ChannelSource"/> (one worker
/// thread). Writers fill a bounded <see cref="ConcurrentQueue{T}"/>; the worker drains it
/// without a lock and releases a waiting writer by completing a TCS. A full queue makes
/// <see cref="ChannelWriter{T}.TryWrite"/> return false — back-pressure on the app, never on the worker.
/// </summary>
internal sealed class SourceBridge
{
    private readonly ConcurrentQueue<byte[]> _queue = new();
    private TaskCompletionSource<bool>? _waiter;
    private int _count;
    private int _completed;

    public SourceBridge(string name, int capacity)
    {
        Name = name;
        Capacity = capacity;
        Writer = new BridgeWriter(this);
    }

    public string Name { get; }

    public int Capacity { get; set; }

    public ChannelWriter<byte[]> Writer { get; }

    public int Count => Volatile.Read(ref _count);

    /// <summary>The app completed the writer and everything written was taken.</summary>
    public bool IsDone => Volatile.Read(ref _completed) != 0 && _queue.IsEmpty;

    /// <summary>Worker side.</summary>
    public bool TryTake(out byte[] frame)
    {
        if (_queue.TryDequeue(out frame!))
        {
            Interlocked.Decrement(ref _count);
            return true;
        }
        return false;
    }

    /// <summary>Worker side, once per poll that took something: releases a writer waiting for room.</summary>
    public void Signal()
    {
        if (Volatile.Read(ref _waiter) is not null)
        {
            Interlocked.Exchange(ref _waiter, null)?.TrySetResult(true);
        }
    }

    private sealed class BridgeWriter(SourceBridge bridge) : ChannelWriter<byte[]>
    {
        public override bool TryComplete(Exception? error = null)
        {
            if (Interlocked.Exchange(ref bridge._completed, 1) != 0)
            {
                return false;
            }
            Interlocked.Exchange(ref bridge._waiter, null)?.TrySetResult(false);
            return true;
        }

        public override bool TryWrite(byte[] item)
        {
            ArgumentNullException.ThrowIfNull(item);
            if (Volatile.Read(ref bridge._completed) != 0 || Volatile.Read(ref bridge._count) >= bridge.Capacity)
            {
                return false;
            }
            // Two writers may both pass the check: the bound is soft by at most the number of concurrent writers.
            bridge._queue.Enqueue(item);
            Interlocked.Increment(ref bridge._count);
            return true;
        }

        public override async ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default)
        {
            while (true)
            {
                if (Volatile.Read(ref bridge._completed) != 0)
                {
                    return false;
                }
                if (Volatile.Read(ref bridge._count) < bridge.Capacity)
                {
                    return true;
                }
                var waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                Interlocked.Exchange(ref bridge._waiter, waiter)?.TrySetResult(true);
                if (Volatile.Read(ref bridge._count) < bridge.Capacity || Volatile.Read(ref bridge._completed) != 0)
                {
                    continue;
                }
                await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
