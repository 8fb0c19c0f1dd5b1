using System.Diagnostics;
using Flow.Stages.Switching.Internal;
using Xunit;

namespace Flow.Stages.Tests.Switching;

/// <summary>
/// The MAC table read by other threads while its one writer changes it (issue 18: one logical
/// table for every shard). Every key's port is one of two values no other key ever has, so a
/// reader that saw a key with another key's port — a torn entry — knows it.
/// </summary>
public sealed class MacTableConcurrencyTests
{
    private const int Keys = 4096;
    private static readonly TimeSpan Churn = TimeSpan.FromSeconds(1.5);

    private static ulong KeyOf(int k) => MacTable.Key(1 + (k % 7), 0x02_0000_0000UL + (ulong)k);

    /// <summary>Key k's ports: 2k and 2k + 1.</summary>
    private static ushort PortOf(int k, int which) => (ushort)((2 * k) + which);

    [Fact]
    public void ReadersNeverSeeATornEntryWhileTheWriterInsertsMovesEvictsAndRemoves()
    {
        // Half as many entries as keys: inserts evict, and slots are reused by other keys all the time.
        var table = new MacTable(Keys / 2);
        table.EnableConcurrentReaders();
        int stop = 0;
        long writes = 0;
        var writer = new Thread(() =>
        {
            var random = new Random(18);
            var stopwatch = Stopwatch.StartNew();
            while (stopwatch.Elapsed < Churn)
            {
                int k = random.Next(Keys);
                ulong key = KeyOf(k);
                int slot = table.Find(key);
                switch (random.Next(3))
                {
                    case 0 when slot < 0:
                        table.Insert(key, PortOf(k, random.Next(2)), 0, isStatic: false, evictOldest: true, out _);
                        break;
                    case 1 when slot >= 0:
                        table.Move(slot, PortOf(k, table.PortAt(slot) == PortOf(k, 0) ? 1 : 0), 0);
                        break;
                    case 2 when slot >= 0:
                        table.RemoveAt(slot);
                        break;
                }
                writes++;
            }
            Volatile.Write(ref stop, 1);
        });
        long reads = 0, found = 0;
        string? torn = null;
        writer.Start();
        var reader = new Random(81);
        while (Volatile.Read(ref stop) == 0)
        {
            int k = reader.Next(Keys);
            if (table.TryLookupConcurrent(KeyOf(k), out _, out ushort port))
            {
                found++;
                if (port != PortOf(k, 0) && port != PortOf(k, 1))
                {
                    torn ??= $"key {k} read with port {port}, which belongs to key {port / 2}";
                }
            }
            reads++;
        }
        writer.Join();
        Assert.True(torn is null, $"{torn} ({reads} reads, {writes} writes)");
        Assert.True(writes > 100_000 && reads > 100_000 && found > reads / 10,
            $"the churn did too little to prove anything: {writes} writes, {reads} reads, {found} found");
    }

    [Fact]
    public void WhatTheWriterPublishedIsWhatEveryReaderSeesAfterwards()
    {
        // Room to spare, so that no bucket is full and every key is in.
        var table = new MacTable(4 * Keys);
        table.EnableConcurrentReaders();
        int published = 0;
        int refused = 0;
        var writer = new Thread(() =>
        {
            for (int k = 0; k < Keys; k++)
            {
                refused += table.Insert(KeyOf(k), PortOf(k, 0), 0, isStatic: false, evictOldest: false, out _) < 0 ? 1 : 0;
            }
            for (int k = 0; k < Keys; k += 2)
            {
                table.Move(table.Find(KeyOf(k)), PortOf(k, 1), 0);
            }
            Volatile.Write(ref published, 1);
        });
        writer.Start();
        while (Volatile.Read(ref published) == 0)
        {
            // Reads racing the writer: each answer is the key's own port or "unknown".
            int k = Random.Shared.Next(Keys);
            Assert.True(!table.TryLookupConcurrent(KeyOf(k), out _, out ushort port) || port / 2 == k, $"key {k} read with port {port}");
        }
        writer.Join();
        Assert.Equal(0, refused);
        for (int k = 0; k < Keys; k++)
        {
            Assert.True(table.TryLookupConcurrent(KeyOf(k), out _, out ushort port), $"key {k} is not found after it was published");
            Assert.Equal(PortOf(k, k % 2 == 0 ? 1 : 0), port);
        }
    }
}
