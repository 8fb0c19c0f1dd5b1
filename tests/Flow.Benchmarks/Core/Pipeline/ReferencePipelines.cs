using System.Collections.Concurrent;
using System.Threading.Channels;
using System.Threading.Tasks.Dataflow;

namespace Flow.Benchmarks.Core.Pipeline;

/// <summary>
/// The same three steps (receive+classify, forward, count+free) written the way .NET
/// applications usually build pipelines: TPL Dataflow blocks and a Channels pipeline, each
/// passing batches of 32 handles, with the same packet memory and per-packet code as Flow.
/// </summary>
internal static class ReferencePipelines
{
    private const int InFlightBatches = 64;

    /// <summary>Runs until <paramref name="stop"/> fires; returns a reader of delivered packets.</summary>
    public static (Task Completion, Func<long> Delivered) StartDataflow(PacketPool pool, CancellationToken stop)
    {
        var free = NewBatches();
        long delivered = 0;
        var options = new ExecutionDataflowBlockOptions { BoundedCapacity = 16, SingleProducerConstrained = true };
        var classify = new TransformBlock<RefBatch, RefBatch>(batch =>
        {
            ClassifyAll(batch);
            return batch;
        }, options);
        var forward = new TransformBlock<RefBatch, RefBatch>(batch =>
        {
            ForwardAll(batch);
            return batch;
        }, options);
        var count = new ActionBlock<RefBatch>(batch =>
        {
            Volatile.Write(ref delivered, delivered + batch.Count);
            pool.FreeBulk(batch.Items.AsSpan(0, batch.Count));
            free.Enqueue(batch);
        }, options);
        var link = new DataflowLinkOptions { PropagateCompletion = true };
        classify.LinkTo(forward, link);
        forward.LinkTo(count, link);
        Task producer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (!free.TryDequeue(out RefBatch? batch))
                {
                    await Task.Yield();
                    continue;
                }
                Receive(pool, batch);
                await classify.SendAsync(batch);
            }
            classify.Complete();
        });
        return (Task.WhenAll(producer, count.Completion), () => Volatile.Read(ref delivered));
    }

    public static (Task Completion, Func<long> Delivered) StartChannels(PacketPool pool, CancellationToken stop)
    {
        var free = NewBatches();
        long delivered = 0;
        var options = new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true };
        Channel<RefBatch> toClassify = Channel.CreateBounded<RefBatch>(options);
        Channel<RefBatch> toForward = Channel.CreateBounded<RefBatch>(options);
        Channel<RefBatch> toCount = Channel.CreateBounded<RefBatch>(options);
        Task producer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (!free.TryDequeue(out RefBatch? batch))
                {
                    await Task.Yield();
                    continue;
                }
                Receive(pool, batch);
                await toClassify.Writer.WriteAsync(batch);
            }
            toClassify.Writer.Complete();
        });
        Task classify = Task.Run(async () =>
        {
            await foreach (RefBatch batch in toClassify.Reader.ReadAllAsync())
            {
                ClassifyAll(batch);
                await toForward.Writer.WriteAsync(batch);
            }
            toForward.Writer.Complete();
        });
        Task forward = Task.Run(async () =>
        {
            await foreach (RefBatch batch in toForward.Reader.ReadAllAsync())
            {
                ForwardAll(batch);
                await toCount.Writer.WriteAsync(batch);
            }
            toCount.Writer.Complete();
        });
        Task count = Task.Run(async () =>
        {
            await foreach (RefBatch batch in toCount.Reader.ReadAllAsync())
            {
                Volatile.Write(ref delivered, delivered + batch.Count);
                pool.FreeBulk(batch.Items.AsSpan(0, batch.Count));
                free.Enqueue(batch);
            }
        });
        return (Task.WhenAll(producer, classify, forward, count), () => Volatile.Read(ref delivered));
    }

    private static ConcurrentQueue<RefBatch> NewBatches()
    {
        var free = new ConcurrentQueue<RefBatch>();
        for (int i = 0; i < InFlightBatches; i++)
        {
            free.Enqueue(new RefBatch());
        }
        return free;
    }

    private static void Receive(PacketPool pool, RefBatch batch)
    {
        batch.Count = pool.AllocateBulk(batch.Items);
        for (int i = 0; i < batch.Count; i++)
        {
            PacketWork.Receive(batch.Items[i], 0);
        }
    }

    private static void ClassifyAll(RefBatch batch)
    {
        for (int i = 0; i < batch.Count; i++)
        {
            PacketWork.Classify(batch.Items[i]);
        }
    }

    private static void ForwardAll(RefBatch batch)
    {
        for (int i = 0; i < batch.Count; i++)
        {
            PacketWork.Forward(batch.Items[i]);
        }
    }
}
