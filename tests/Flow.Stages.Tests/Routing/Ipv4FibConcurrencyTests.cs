using System.Diagnostics;
using Flow.Stages.Routing;
using Xunit;

namespace Flow.Stages.Tests.Routing;

/// <summary>
/// One writer churning routes while a reader looks up without locks.
/// <code>
///  writer thread (test): 100 000 add/delete of /20, /24 and /25–/32 under 10.0.0.0/16,
///                        8 tbl8 groups for 32 churned /24s → groups unlinked, reclaimed, reused
///  reader thread:        Enter → batched lookup of untouched and churned addresses → Exit, repeat
/// </code>
/// Every answer must be one the table could give at some instant: the untouched prefixes
/// exactly theirs; an address in churned /24 x: the covering /16 (3), the /20 (50, x &lt; 16) or
/// 100 + x. A group reused for another /24 while the reader still held it would answer
/// 100 + x' — caught. The reader's batch is long (1024 addresses) because the batched
/// lookup reads all tbl24 entries before any tbl8 entry: that gap is where a group reused too
/// early would show.
/// </summary>
public sealed class Ipv4FibConcurrencyTests
{
    private const uint Covering = 3;
    private const uint Twenty = 50;

    [Fact]
    public void UntouchedPrefixesNeverMissAndReusedGroupsAreNeverSeenHalfWritten()
    {
        using var fib = new Ipv4Fib(new Ipv4FibOptions { Tbl8Groups = 8 });
        fib.Add(Ipv4Prefix.Parse("198.51.100.0/24"), 7);
        fib.Add(Ipv4Prefix.Parse("203.0.113.16/28"), 9);       // lives in a group that stays linked
        fib.Add(Ipv4Prefix.Parse("10.0.0.0/16"), Covering);
        var random = new Random(16);
        var churn = new List<(Ipv4Prefix Prefix, uint Hop)>();
        for (int x = 0; x < 32; x++)
        {
            churn.Add((new Ipv4Prefix(0x0A00_0000u | (uint)(x << 8), 24), 100 + (uint)x));
            for (int k = 0; k < 6; k++)
            {
                int length = random.Next(25, 33);
                churn.Add((new Ipv4Prefix(0x0A00_0000u | (uint)(x << 8) | (uint)random.Next(256), length), 100 + (uint)x));
            }
        }
        churn.Add((Ipv4Prefix.Parse("10.0.0.0/20"), Twenty));

        uint[] addresses = new uint[1024];
        for (int i = 0; i < addresses.Length; i++)
        {
            addresses[i] = (i % 4) switch
            {
                0 => 0xC633_6400u | (uint)random.Next(256),               // 198.51.100.x
                1 => 0xCB00_7110u | (uint)random.Next(16),                // 203.0.113.16–31
                _ => 0x0A00_0000u | (uint)random.Next(32 << 8),           // churned 10.0.0–31.x
            };
        }

        using var done = new CancellationTokenSource();
        long batches = 0;
        string? failure = null;
        var reader = new Thread(() =>
        {
            using FibReader handle = fib.OpenReader();
            var results = new uint[addresses.Length];
            var deadline = Stopwatch.StartNew();
            while (!done.IsCancellationRequested && deadline.Elapsed < TimeSpan.FromSeconds(120))
            {
                handle.Enter();
                fib.Lookup(addresses, results);
                handle.Exit();
                for (int i = 0; i < addresses.Length; i++)
                {
                    if (!Plausible(addresses[i], results[i]))
                    {
                        failure = $"{new Ipv4Prefix(addresses[i], 32)} answered {results[i]} after {batches} batches";
                        return;
                    }
                }
                batches++;
            }
        })
        { IsBackground = true, Name = "fib-reader" };
        reader.Start();

        var present = new HashSet<Ipv4Prefix>();
        int exhausted = 0;
        var writerClock = Stopwatch.StartNew();
        // At least 100 000 operations, and on until groups were reused often and ran out at least
        // once: how many groups come back depends on where the reader thread is scheduled.
        int op = 0;
        for (; (op < 100_000 || fib.Tbl8GroupsReclaimed < 1000 || exhausted == 0)
            && failure is null && writerClock.Elapsed < TimeSpan.FromSeconds(120); op++)
        {
            (Ipv4Prefix prefix, uint hop) = churn[random.Next(churn.Count)];
            if (present.Remove(prefix))
            {
                Assert.Equal(FibStatus.Deleted, fib.Delete(prefix));
                continue;
            }
            FibStatus status = fib.Add(prefix, hop);
            if (status == FibStatus.Tbl8Exhausted)
            {
                exhausted++;
                continue;
            }
            Assert.Equal(FibStatus.Added, status);
            present.Add(prefix);
        }
        done.Cancel();
        Assert.True(reader.Join(TimeSpan.FromSeconds(30)), "reader did not stop");
        Assert.Null(failure);
        Assert.True(op >= 100_000, $"writer did only {op} operations in 120 s");
        Assert.True(batches > 0, "the reader never completed a batch");
        Assert.True(fib.Tbl8GroupsReclaimed >= 1000, $"only {fib.Tbl8GroupsReclaimed} groups reclaimed in 120 s: reuse was not exercised");
        Assert.True(exhausted > 0, "8 groups for 32 /24s never ran out: exhaustion under churn was not exercised");
        Assert.Equal(exhausted, fib.Tbl8Exhausted);
        Assert.Equal(7u, fib.Lookup(0xC633_6401u));
        Assert.Equal(9u, fib.Lookup(0xCB00_7111u));
    }

    private static bool Plausible(uint address, uint answer)
    {
        if ((address >> 8) == 0xC6_3364u)
        {
            return answer == 7;
        }
        if ((address & 0xFFFF_FFF0u) == 0xCB00_7110u)
        {
            return answer == 9;
        }
        uint x = (address >> 8) & 0xFF;
        return answer == Covering || answer == 100 + x || (x < 16 && answer == Twenty);
    }
}
