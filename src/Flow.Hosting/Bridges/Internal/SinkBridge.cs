using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;

namespace Flow.Hosting.Internal;

/// <summary>
/// The hand-off between a <see cref="ChannelSink"/> (one worker thread) and application readers.
/// The worker side is lock-free — a <see cref="ConcurrentQueue{T}"/> plus an interlocked count
/// for the bound, and a waiter slot it completes without taking a lock — so a slow or
/// descheduled reader can never stall a worker; it only makes the sink drop.
/// </summary>
internal sealed class SinkBridge
{
    private readonly ConcurrentQueue<PacketRecord> _queue = new();
    private TaskCompletionSource<bool>? _waiter;
    private int _count;
    private int _completed;

    public SinkBridge(string name, int capacity)
    {
        Name = name;
        Capacity = capacity;
        Reader = new BridgeReader(this);
    }

    public string Name { get; }

    public int Capacity { get; set; }

    public ChannelReader<PacketRecord> Reader { get; }

    public int Count => Volatile.Read(ref _count);

    /// <summary>Worker side: room for this many more records.</summary>
    public int FreeSpace => Math.Max(0, Capacity - Volatile.Read(ref _count));

    /// <summary>Worker side: adds a record (caller checked <see cref="FreeSpace"/>).</summary>
    public void Add(PacketRecord record)
    {
        _queue.Enqueue(record);
        Interlocked.Increment(ref _count);
    }

    /// <summary>Worker side, once per batch: wakes a reader waiting for data. Completing a TCS takes no lock.</summary>
    public void Signal()
    {
        if (Volatile.Read(ref _waiter) is not null)
        {
            Interlocked.Exchange(ref _waiter, null)?.TrySetResult(true);
        }
    }

    /// <summary>No more records will come (the graph stopped); readers finish what is queued.</summary>
    public void Complete()
    {
        Volatile.Write(ref _completed, 1);
        Interlocked.Exchange(ref _waiter, null)?.TrySetResult(false);
    }

    private sealed class BridgeReader(SinkBridge bridge) : ChannelReader<PacketRecord>
    {
        public override bool CanCount => true;

        public override int Count => bridge.Count;

        public override bool TryRead([MaybeNullWhen(false)] out PacketRecord item)
        {
            if (bridge._queue.TryDequeue(out item))
            {
                Interlocked.Decrement(ref bridge._count);
                return true;
            }
            return false;
        }

        public override async ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
        {
            while (true)
            {
                if (!bridge._queue.IsEmpty)
                {
                    return true;
                }
                if (Volatile.Read(ref bridge._completed) != 0)
                {
                    return !bridge._queue.IsEmpty;
                }
                var waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                // Another reader's waiter, if any, is released to look again: one slot serves all readers.
                Interlocked.Exchange(ref bridge._waiter, waiter)?.TrySetResult(true);
                if (!bridge._queue.IsEmpty || Volatile.Read(ref bridge._completed) != 0)
                {
                    continue;
                }
                await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
