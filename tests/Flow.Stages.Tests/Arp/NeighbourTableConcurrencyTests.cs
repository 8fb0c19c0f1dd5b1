using System.Diagnostics;
using Flow.Protocols.Ethernet;
using Flow.Stages.Arp;
using Xunit;

namespace Flow.Stages.Tests.Arp;

/// <summary>
/// The neighbour table read from another worker while its owner creates, confirms, fails and
/// removes neighbours (issue 18: a sharded arp_resolve's readers). Each address has two MACs no
/// other address has, different in every byte, which the owner confirms in turn; a reader that
/// saw an address with any other MAC (another's, or half of each) saw a torn neighbour.
/// </summary>
public sealed class NeighbourTableConcurrencyTests
{
    private const int Addresses = 512;
    private static readonly TimeSpan Churn = TimeSpan.FromSeconds(1.5);

    private static uint AddressOf(int i) => 0x0A00_0000u + (uint)i;

    private static MacAddress MacOf(uint address, int which) => which == 0
        ? new(0x02, 0x00, (byte)(address >> 24), (byte)(address >> 16), (byte)(address >> 8), (byte)address)
        : new(0x06, 0xFF, (byte)~(address >> 24), (byte)~(address >> 16), (byte)~(address >> 8), (byte)~address);

    [Fact]
    public void ReadersNeverSeeATornNeighbourWhileTheOwnerChurnsTheTable()
    {
        using var table = new NeighbourTable();
        // Fewer slots than addresses: slots are removed and reused for other addresses all the time.
        table.Configure(new ArpResponderOptions { MaxNeighbours = Addresses / 4, MaxHeldPackets = 16 });
        int stop = 0;
        long changes = 0;
        var owner = new Thread(() =>
        {
            var random = new Random(18);
            var stopwatch = Stopwatch.StartNew();
            while (stopwatch.Elapsed < Churn)
            {
                uint address = AddressOf(random.Next(Addresses));
                int slot = table.Find(address, 1);
                if (slot < 0)
                {
                    slot = table.Create(address, 1, 0, onLink: false, now: 0);
                    if (slot < 0)
                    {
                        // Full: forget a random one.
                        int victim = table.Find(AddressOf(random.Next(Addresses)), 1);
                        if (victim >= 0)
                        {
                            table.Remove(victim);
                        }
                        continue;
                    }
                }
                switch (random.Next(10))
                {
                    case 0:
                        table.Fail(slot, 0);
                        break;
                    case 1:
                        table.Remove(slot);
                        break;
                    default:
                        table.Confirm(slot, MacOf(address, random.Next(2)), 0);
                        break;
                }
                changes++;
            }
            Volatile.Write(ref stop, 1);
        });
        long reads = 0, reachable = 0;
        string? torn = null;
        owner.Start();
        var random = new Random(81);
        while (Volatile.Read(ref stop) == 0)
        {
            uint address = AddressOf(random.Next(Addresses));
            if (table.TryReadConcurrent(address, 1, random.Next(Addresses / 4), out _, out NeighbourState state, out MacAddress mac, out _)
                && state == NeighbourState.Reachable)
            {
                reachable++;
                if (mac != MacOf(address, 0) && mac != MacOf(address, 1))
                {
                    torn ??= $"{address:x8} read reachable with MAC {mac}";
                }
            }
            reads++;
        }
        owner.Join();
        Assert.True(torn is null, $"{torn} ({reads} reads, {changes} changes)");
        Assert.True(changes > 100_000 && reads > 100_000 && reachable > 1_000,
            $"the churn did too little to prove anything: {changes} changes, {reads} reads, {reachable} reachable");
    }
}
