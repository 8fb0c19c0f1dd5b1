using Xunit;

namespace Flow.Core.Tests.Rings;

/// <summary>
/// Two threads move tens of millions of handles; the consumer checks every value is the next
/// one expected, so a lost, duplicated or reordered handle fails at the first place it happens.
/// </summary>
[Collection(nameof(CoreBoundCollection))]
public class SpscRingConcurrencyTests
{
    [Theory]
    [InlineData(1024, 32, 20_000_000)]
    [InlineData(2, 1, 200_000)]
    [InlineData(64, 63, 5_000_000)]
    public void TwoThreadsMoveHandlesWithNothingLostDuplicatedOrReordered(int capacity, int burst, long total)
    {
        var ring = new SpscRing<long>(capacity);
        long failedAt = -1;
        var producer = new Thread(() =>
        {
            var batch = new long[burst];
            long next = 0;
            // Stops when the consumer has failed, so a mismatch is reported at once and no thread spins on.
            while (next < total && Volatile.Read(ref failedAt) < 0)
            {
                int n = (int)Math.Min(burst, total - next);
                for (int i = 0; i < n; i++)
                {
                    batch[i] = next + i;
                }
                int sent = 0;
                while (sent < n && Volatile.Read(ref failedAt) < 0)
                {
                    int k = ring.Enqueue(batch.AsSpan(sent, n - sent));
                    if (k == 0)
                    {
                        Thread.Yield();
                    }
                    sent += k;
                }
                next += n;
            }
        });
        var consumer = new Thread(() =>
        {
            var batch = new long[burst];
            long expected = 0;
            while (expected < total)
            {
                int n = ring.Dequeue(batch);
                if (n == 0)
                {
                    Thread.Yield();
                }
                for (int i = 0; i < n; i++)
                {
                    if (batch[i] != expected)
                    {
                        Volatile.Write(ref failedAt, expected);
                        return;
                    }
                    expected++;
                }
            }
        });
        producer.IsBackground = consumer.IsBackground = true; // a hang must not outlive the test host
        producer.Start();
        consumer.Start();
        Assert.True(consumer.Join(TimeSpan.FromSeconds(120)), "consumer did not finish");
        Assert.True(failedAt < 0, $"handle {failedAt} was not the next to arrive");
        Assert.True(producer.Join(TimeSpan.FromSeconds(120)), "producer did not finish");
        Assert.True(ring.IsEmpty);
    }
}
