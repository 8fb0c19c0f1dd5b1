using System.Buffers.Binary;
using Flow.Protocols.Ethernet;
using Flow.Stages.Arp;
using Xunit;
using static Flow.Stages.Tests.Arp.ArpRouter;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Arp;

/// <summary>
/// A sharded arp_resolve (issue 18): shard 0's copy owns the neighbour table with arp; another
/// shard's copy reads it, sends what it can itself and hands the rest to the owner.
/// </summary>
public sealed class ArpResolverShardTests : IDisposable
{
    private readonly ArpRouter _router = new();
    private readonly StageHarness _reader;

    public ArpResolverShardTests()
    {
        _reader = new StageHarness(_router.Resolve.CopyForShard(1, 2), "arp_resolve@1");
    }

    private ArpResolver Reader => (ArpResolver)_reader.Stage;

    public void Dispose()
    {
        Assert.True(_reader.Stats.IsBalanced, _reader.Stats.ToString());
        _reader.Dispose();
        _router.Dispose();
    }

    private void Learn(MacAddress mac, string address, ushort port, string own)
    {
        _router.Responder.Process([_router.ArpIn(port, Reply(mac, address, port == Lan ? Router : Mac(WanMac), own))]);
        _router.Table.ApplyRouteChanges();
    }

    private static ushort Tag(byte[] frame) => BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(18));

    [Fact]
    public void AReaderSendsToAResolvedNeighbourItselfAndHandsAnUnknownOneToTheOwner()
    {
        Assert.True(Reader.IsReader);
        Assert.Contains(IShardedStage.WriterPort, Reader.Descriptor.Ports.Select(p => p.Name));
        Assert.DoesNotContain(IShardedStage.WriterPort, _router.Resolve.Descriptor.Ports.Select(p => p.Name));

        // Unknown: the reader hands it over untouched; the owner creates the neighbour and holds it.
        _reader.Process([_router.Ipv4To("198.51.100.7", tag: 1)]);
        Packet[] handed = _reader.Take(IShardedStage.WriterPort);
        Assert.Equal(0, _router.Table.Count);
        _router.Resolver.Process(handed);
        Assert.Equal(NeighbourState.Incomplete, _router.Neighbour("192.0.2.2", Wan)!.State);

        // Resolved by arp on the owner's worker: the held packet leaves by the owner, the next
        // ones by the reader itself, with the gateway's MAC.
        Learn(Gateway, "192.0.2.2", Wan, "192.0.2.1");
        _router.Resolver.Tick(_router.Now);
        Assert.Equal([1], TakeBytes(_router.Resolver, "wan").Select(Tag).Select(t => (int)t));
        _reader.Process([_router.Ipv4To("198.51.100.7", tag: 2), _router.Ipv4To("198.51.100.8", tag: 3)]);
        List<byte[]> sent = TakeBytes(_reader, "wan");
        Assert.Equal([2, 3], sent.Select(Tag).Select(t => (int)t));
        Assert.All(sent, f => Assert.Equal((Gateway, Mac(WanMac)), (new MacAddress(f.AsSpan(0, 6)), new MacAddress(f.AsSpan(6, 6)))));
        Assert.Empty(_reader.Output(IShardedStage.WriterPort));
        Assert.Equal((2L, 1L), (Reader.GetCounters().Sent, Reader.GetCounters().HandedOff));
    }

    [Fact]
    public void AStaleNeighbourGoesToTheOwnerWhichStartsTheProbeAfterWhichTheReaderSendsAgain()
    {
        Learn(Host, "10.0.0.10", Lan, "10.0.0.1");
        _router.Advance(TimeSpan.FromMinutes(30)); // past the reachable time
        _router.Tick();
        Assert.Equal(NeighbourState.Stale, _router.Neighbour("10.0.0.10")!.State);

        _reader.Process([_router.Ipv4To("10.0.0.10", tag: 1)]);
        _router.Resolver.Process(_reader.Take(IShardedStage.WriterPort));
        Assert.Equal(NeighbourState.Probe, _router.Neighbour("10.0.0.10")!.State);
        Assert.Equal([1], TakeBytes(_router.Resolver, "lan").Select(Tag).Select(t => (int)t));

        _reader.Process([_router.Ipv4To("10.0.0.10", tag: 2)]);
        Assert.Equal([2], TakeBytes(_reader, "lan").Select(Tag).Select(t => (int)t));
    }

    [Fact]
    public void AFailedNeighbourIsTheOwnersToAnswerAndAReaderCannotFlushTheTable()
    {
        _reader.Process([_router.Ipv4To("10.0.0.99", tag: 1)]);
        _router.Resolver.Process(_reader.Take(IShardedStage.WriterPort));
        for (int second = 0; second < 8; second++)
        {
            _router.Advance(TimeSpan.FromSeconds(1));
            _router.Tick();
            PacketPools.Free(_router.Responder.Take("lan"));
        }
        Assert.Equal(NeighbourState.Failed, _router.Neighbour("10.0.0.99")!.State);
        PacketPools.Free(_router.Resolver.Take(ArpResolver.UnreachablePort));

        _reader.Process([_router.Ipv4To("10.0.0.99", tag: 2)]);
        Packet[] handed = _reader.Take(IShardedStage.WriterPort);
        _router.Resolver.Process(handed);
        Packet unreachable = Assert.Single(_router.Resolver.Take(ArpResolver.UnreachablePort));
        PacketPools.Free(unreachable);
        Assert.Throws<Flow.Stages.Ipv4.RouterConfigurationException>(() => Reader.FlushNeighbours());
        Assert.Throws<InvalidOperationException>(() => Reader.CopyForShard(1, 2));
    }
}
