using System.Diagnostics;

namespace Flow.Benchmarks.Infrastructure;

/// <summary>
/// One-way cache-line hand-off latency between CPU 0 and CPU 1: two pinned threads bounce a
/// counter through one shared line; latency = round trip / 2. Printed beside every figure that
/// crosses cores, because on these VMs it swings 5–10× within minutes.
/// </summary>
internal static class CrossCoreLatency
{
    private static long s_ball;

    public static double MeasureNanoseconds(int roundTrips = 20_000)
    {
        if (Environment.ProcessorCount < 2)
        {
            return double.NaN;
        }
        Volatile.Write(ref s_ball, 0);
        var responder = new Thread(() =>
        {
            OsThread.Pin(1);
            for (long i = 1; i <= roundTrips; i++)
            {
                while (Volatile.Read(ref s_ball) != 2 * i - 1)
                {
                }
                Volatile.Write(ref s_ball, 2 * i);
            }
        });
        double elapsed = 0;
        var initiator = new Thread(() =>
        {
            OsThread.Pin(0);
            long start = Stopwatch.GetTimestamp();
            for (long i = 1; i <= roundTrips; i++)
            {
                Volatile.Write(ref s_ball, 2 * i - 1);
                while (Volatile.Read(ref s_ball) != 2 * i)
                {
                }
            }
            elapsed = Stopwatch.GetElapsedTime(start).TotalNanoseconds;
        });
        responder.Start();
        initiator.Start();
        initiator.Join();
        responder.Join();
        return elapsed / roundTrips / 2;
    }
}
