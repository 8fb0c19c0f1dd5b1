using System.Diagnostics;
using Flow.Benchmarks.Infrastructure;

namespace Flow.Benchmarks.Core.Pipeline;

/// <summary>
/// The hand-written reference for splitting the work over two cores: the same per-packet code
/// as Flow's stages, in plain loops on one pinned thread, or on two pinned threads joined by
/// an <see cref="SpscRing{T}"/> (the rx side allocates, the tx side frees: frames migrate
/// between cores exactly as they do in Flow's two-worker pipeline). What it reaches is what
/// the machine allows a pipeline, whatever the framework.
/// </summary>
internal static class HandPipeline
{
    private const int Burst = 32;

    public readonly record struct Result(double PacketsPerSecond, double PacketsPerCpuSecond);

    public static Result Run(Dir24Lpm? lpm, FlowTable? flows, uint[] destinations, bool twoThreads, TimeSpan window, TimeSpan warm)
    {
        using var rx = new BenchRx(2048, destinations);
        var ring = new SpscRing<Packet>(1024);
        long delivered = 0;
        int stop = 0;
        int rxDone = 0;
        var tids = new int[2];
        bool heavy = lpm is not null;

        void RxSide(bool alsoTx)
        {
            var burst = new Packet[Burst];
            Span<Next> nexts = stackalloc Next[Burst];
            while (Volatile.Read(ref stop) == 0)
            {
                int n = rx.Poll(burst, nexts);
                for (int i = 0; i < n; i++)
                {
                    Packet packet = burst[i];
                    PacketWork.Classify(packet);
                    if (heavy)
                    {
                        packet.Meta.UserWord = lpm!.Lookup(packet.Meta.NextHop);
                    }
                }
                if (alsoTx)
                {
                    TxWork(burst.AsSpan(0, n));
                    continue;
                }
                ReadOnlySpan<Packet> rest = burst.AsSpan(0, n);
                while (rest.Length > 0 && Volatile.Read(ref stop) == 0)
                {
                    rest = rest.Slice(ring.Enqueue(rest));
                }
                if (rest.Length > 0)
                {
                    rx.Pool.FreeBulk(rest);
                }
            }
            Volatile.Write(ref rxDone, 1);
        }

        void TxWork(ReadOnlySpan<Packet> packets)
        {
            for (int i = 0; i < packets.Length; i++)
            {
                Packet packet = packets[i];
                if (heavy)
                {
                    flows!.Update(packet.Meta.NextHop, packet.Length);
                }
                PacketWork.Forward(packet);
            }
            Volatile.Write(ref delivered, delivered + packets.Length);
            rx.Pool.FreeBulk(packets);
        }

        void TxSide()
        {
            var burst = new Packet[Burst];
            while (true)
            {
                int n = ring.Dequeue(burst);
                if (n != 0)
                {
                    TxWork(burst.AsSpan(0, n));
                }
                else if (Volatile.Read(ref rxDone) != 0 && ring.IsEmpty)
                {
                    return;
                }
            }
        }

        Thread Start(int cpu, int slot, Action body) => new(() =>
        {
            OsThread.Pin(cpu);
            PacketPool.EnableThreadCaches();
            Volatile.Write(ref tids[slot], OsThread.CurrentId);
            body();
            PacketPool.ReleaseThreadCaches();
        });

        Thread[] threads = twoThreads
            ? [Start(0, 0, () => RxSide(alsoTx: false)), Start(1, 1, TxSide)]
            : [Start(Environment.ProcessorCount - 1, 0, () => RxSide(alsoTx: true))];
        foreach (Thread thread in threads)
        {
            thread.Start();
        }
        Thread.Sleep(warm);
        int[] running = tids.Take(threads.Length).ToArray();
        long before = Volatile.Read(ref delivered);
        long cpuBefore = ThreadCpuTime.Nanoseconds(running);
        long start = Stopwatch.GetTimestamp();
        Thread.Sleep(window);
        long after = Volatile.Read(ref delivered);
        double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        long cpu = ThreadCpuTime.Nanoseconds(running) - cpuBefore;
        Volatile.Write(ref stop, 1);
        foreach (Thread thread in threads)
        {
            thread.Join();
        }
        if (rx.Pool.Outstanding != 0)
        {
            throw new InvalidOperationException($"{rx.Pool.Outstanding} frames never returned to their pool");
        }
        return new Result((after - before) / elapsed, (after - before) / (cpu / 1e9));
    }
}
