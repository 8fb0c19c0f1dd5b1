using Flow.Backends.Memif.Internal;
using Flow.Backends.Memif.Tests.Peers;
using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Memif.Tests;

/// <summary>
/// Zero-copy client, security review M5: a server keeps the buffer region's fd and mapping after
/// it goes away. At reconnect the client puts fresh memory behind its pool when no frame of it is
/// out, so the next server's traffic is out of the former one's reach; when a packet is still in
/// the graph the region is kept, and that is counted (<c>region_reused</c>).
/// </summary>
[Collection(nameof(MemifCollection))]
public class MemifBufferRegionRenewalTests
{
    [Fact]
    public unsafe void AReconnectGetsFreshBufferMemoryWhenNoFrameIsOutAndKeepsAndCountsTheOldWhenOneIs()
    {
        string socket = MemifTestNames.Socket("renew");
        using var hostile = HostileMemifServer.Listen(socket);
        using MemifInterface client = MemifInterface.Create(new MemifOptions
        {
            Socket = socket, Role = MemifRole.Client, ReconnectMaxDelay = TimeSpan.FromMilliseconds(50),
        });
        var fds = new[] { new List<int>(), new List<int>(), new List<int>() };
        var inode = new ulong[3];
        Packet held = default;
        try
        {
            for (int round = 0; round < 3; round++)
            {
                using MemifControlChannel c = hostile.Accept();
                HostileMemifServer.Send(c, HostileMemifServer.Hello());
                HostileMemifServer.ServeHandshake(c, fds[round]);
                Assert.True(Waits.TryUntilBlocking(() => client.IsConnected, MemifTestNames.Limit), client.LastDisconnectReason);
                Assert.Equal(2, fds[round].Count);
                inode[round] = MemifTestNames.Inode(fds[round][1]);
                var start = new Span<byte>(client.BufferRegionBase, 4096);
                if (round == 0)
                {
                    start.Fill(0x77); // what the first server leaves behind
                }
                if (round == 1)
                {
                    Assert.True(start.IndexOfAnyExcept((byte)0) < 0, "the renewed region still holds the first server's bytes");
                    Assert.True(client.SharedPool!.TryAllocate(out held)); // a packet still in the graph at the next reconnect
                    Assert.True(held.TrySetLength(64));
                    held.Data.Fill(0x42);
                }
                HostileMemifServer.Send(c, HostileMemifServer.Disconnect("next"));
                Assert.True(Waits.TryUntilBlocking(() => !client.IsConnected, MemifTestNames.Limit));
            }

            Assert.NotEqual(inode[0], inode[1]);
            Assert.False(MemifTestNames.IsMapped(inode[0]), "the first server's buffer memory is still mapped in Flow");
            Assert.Equal(inode[1], inode[2]);
            Assert.Equal(1, client.RegionReuses);
            Assert.True(held.Data.IndexOfAnyExcept((byte)0x42) < 0, "the packet still in the graph lost its bytes");
        }
        finally
        {
            if (!held.IsNull)
            {
                client.SharedPool!.Free(held);
            }
            foreach (int fd in fds.SelectMany(f => f))
            {
                Interop.Sys.Close(fd);
            }
        }
    }

    [Fact]
    public async Task TrafficFlowsOverTheRenewedRegionAfterAReconnect()
    {
        string socket = MemifTestNames.Socket("renew-traffic");
        var options = new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = 5 };
        using MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, InterfaceId = 5 });
        using (MemifInterface first = MemifInterface.Create(options))
        {
            Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);
            await MemifFlowPairTests.Transfer(client, first, 64, count: 500, queues: 1);
        }
        Assert.True(Waits.TryUntilBlocking(() => !client.IsConnected, MemifTestNames.Limit));
        using MemifInterface second = MemifInterface.Create(options);
        Assert.True(client.WaitConnections(2, MemifTestNames.Limit), client.LastDisconnectReason);

        await MemifFlowPairTests.Transfer(client, second, 1518, count: 500, queues: 1);
        await MemifFlowPairTests.Transfer(second, client, 9000, count: 200, queues: 1);
        Assert.Equal(0, client.RegionReuses);
    }
}
