using Flow.Backends.Memif.Internal;
using Flow.Backends.Memif.Protocol;
using Flow.Backends.Memif.Tests.Peers;
using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Memif.Tests;

/// <summary>
/// A hand-written client lying to a Flow server in every handshake field, stalling, flooding and
/// racing the region checks. Each lie ends that connection with a DISCONNECT naming it; the
/// server stays up and then serves an honest Flow client:
/// <code>
///  hostile client (raw socket, memfd, SCM_RIGHTS) ══ Flow server ══ honest Flow client
/// </code>
/// </summary>
[Collection(nameof(MemifCollection))]
public partial class MemifHostileClientHandshakeTests
{
    private const uint Id = 5;

    private static readonly int s_ringBytes = MemifRingHeader.SizeOf(HostileMemifClient.Log2RingSize);

    [Fact]
    public async Task EveryLyingFieldOfAClientIsRefusedWithAReasonAndTheServerStillServes()
    {
        string socket = MemifTestNames.Socket("lying-client");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = Id });
        using MemifRegion region = RegionWithRings(m2sCookie: false); // so CONNECT finds a wrong cookie
        MakePipe(out int pipeRead, out int pipeWrite);
        try
        {
            Refused("INIT sent twice", p => p.Send(HostileMemifClient.Init(Id)));
            Refused("invalid region index 1", p => p.Send(HostileMemifClient.AddRegion(1, region.Size), region.Fd));
            Refused("invalid region size 0", p => p.Send(HostileMemifClient.AddRegion(0, 0), region.Fd));
            Refused("invalid region size 1099511627776", p => p.Send(HostileMemifClient.AddRegion(0, 1UL << 40), region.Fd));
            Refused("shorter than the", p => p.Send(HostileMemifClient.AddRegion(0, 2 * region.Size), region.Fd));
            Refused("region 0 is not sealed", p => p.Send(HostileMemifClient.AddRegion(0, 8), p.EventS2M));
            Refused("missing region fd", p => p.Send(HostileMemifClient.AddRegion(0, region.Size)));
            Refused("ring 0 in unknown region 0", p => p.Send(Ring(s2m: true), p.EventS2M));
            Refused("invalid ring index 5", p => WithRegion(p, region, Ring(s2m: true, index: 5), p.EventS2M));
            Refused("ring size 2^0 outside", p => WithRegion(p, region, Ring(s2m: true, log2: 0), p.EventS2M));
            Refused("ring size 2^15 outside", p => WithRegion(p, region, Ring(s2m: true, log2: 15), p.EventS2M));
            Refused("at offset 3 does not fit", p => WithRegion(p, region, Ring(s2m: true, offset: 3), p.EventS2M));
            Refused("does not fit region 0", p => WithRegion(p, region, Ring(s2m: true, offset: (uint)region.Size), p.EventS2M));
            Refused("missing interrupt fd", p => WithRegion(p, region, Ring(s2m: true), -1));
            Refused("interrupt fd is not an eventfd", p => WithRegion(p, region, Ring(s2m: true), pipeRead));
            Refused("interrupt fd is not an eventfd", p => WithRegion(p, region, Ring(s2m: true), region.Fd));
            Refused("invalid ring index 0", p =>
            {
                WithRegion(p, region, Ring(s2m: true), p.EventS2M);
                Assert.Equal(MemifMessageType.Ack, p.Receive().Type);
                p.Send(Ring(s2m: true), p.EventS2M); // the same ring twice
            });
            Refused("CONNECT without rings", p => WithRegion(p, region, HostileMemifClient.Empty(MemifMessageType.Connect), -1));
            Refused("rings are not paired from index 0", p =>
            {
                WithRegion(p, region, Ring(s2m: true), p.EventS2M);
                Assert.Equal(MemifMessageType.Ack, p.Receive().Type);
                p.Send(HostileMemifClient.Empty(MemifMessageType.Connect));
            });
            Refused("rings of different sizes", p => BothRings(p, region, m2sLog2: HostileMemifClient.Log2RingSize + 1));
            Refused("M2S ring 0 has a wrong cookie", p => BothRings(p, region, m2sLog2: HostileMemifClient.Log2RingSize));
            Refused("unexpected message type 77", p => p.Send(HostileMemifClient.Empty((MemifMessageType)77)));
            Refused("unexpected message type 7", p => p.Send(HostileMemifClient.Empty(MemifMessageType.Connected)));
            Assert.False(server.IsConnected);
            // The listener releases the id just after it closed the channel the peer saw close: wait (bounded).
            Assert.True(Waits.TryUntilBlocking(() => !Volatile.Read(ref server.IsClaimed), MemifTestNames.Limit), "every refused handshake released the id");

            void Refused(string reason, Action<HostileMemifClient> lie)
            {
                using HostileMemifClient peer = HostileMemifClient.Connect(socket);
                peer.Send(HostileMemifClient.Init(Id));
                Assert.Equal(MemifMessageType.Ack, peer.Receive().Type);
                lie(peer);
                Assert.Contains(reason, peer.ExpectDisconnect());
            }
        }
        finally
        {
            Interop.Sys.Close(pipeRead);
            Interop.Sys.Close(pipeWrite);
        }

        using MemifInterface honest = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, InterfaceId = Id });
        Assert.True(honest.WaitConnected(MemifTestNames.Limit), honest.LastDisconnectReason);
        await MemifFlowPairTests.Transfer(honest, server, 64, count: 500, queues: 1);
    }

    [Fact]
    public void ExtraFdsAreClosedAndControlCharactersInTheClientsNameAreReplaced()
    {
        string socket = MemifTestNames.Socket("extra-fds");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = Id });
        using HostileMemifClient peer = HostileMemifClient.Connect(socket);
        using MemifRegion region = RegionWithRings(m2sCookie: true);

        peer.Send(HostileMemifClient.Init(Id, "\u001b[2J\u001b[31mevil\r\nFAKE"));
        Assert.Equal(MemifMessageType.Ack, peer.Receive().Type);
        peer.SendWithFds(HostileMemifClient.AddRegion(0, region.Size), region.Fd, peer.EventS2M, peer.EventM2S);
        Assert.Equal(MemifMessageType.Ack, peer.Receive().Type);
        peer.SendWithFds(Ring(s2m: true), peer.EventS2M, region.Fd);
        Assert.Equal(MemifMessageType.Ack, peer.Receive().Type);
        peer.Send(Ring(s2m: false, offset: (uint)s_ringBytes), peer.EventM2S);
        Assert.Equal(MemifMessageType.Ack, peer.Receive().Type);
        peer.Send(HostileMemifClient.Empty(MemifMessageType.Connect));
        Assert.Equal(MemifMessageType.Connected, peer.Receive().Type);

        Assert.True(server.WaitConnected(MemifTestNames.Limit), server.LastDisconnectReason);
        Assert.Equal("?[2J?[31mevil??FAKE/", server.PeerName);
    }

    [Fact]
    public void ARegionTruncatedAndSealedDuringTheHandshakeIsRefusedAndTheServerSurvives()
    {
        string socket = MemifTestNames.Socket("shrink-race");
        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = Id });
        for (int attempt = 0; attempt < 60; attempt++)
        {
            using HostileMemifClient peer = HostileMemifClient.Connect(socket);
            MemifMessage reply = peer.ShrinkingRegionAttempt(Id, waitForServerSeek: attempt % 2 == 0);
            Assert.Equal(MemifMessageType.Disconnect, reply.Type);
            string reason = MemifControlChannel.DisconnectReason(reply);
            Assert.True(reason.Contains("not sealed", StringComparison.Ordinal) || reason.Contains("shorter than", StringComparison.Ordinal), reason);
        }
        Assert.Equal(60, server.ProtocolErrors);

        using MemifInterface honest = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, InterfaceId = Id });
        Assert.True(honest.WaitConnected(MemifTestNames.Limit), honest.LastDisconnectReason);
    }

    [Fact]
    public void ARegionOnHugetlbfsIsRefusedUnlessAllowed()
    {
        // MFD_HUGETLB: a 2 MiB huge-page memfd; sizing it reserves no pages, so no hugepages need be configured.
        const uint MfdHugetlb = 4;
        const ulong HugePage = 2 << 20;
        int fd = Interop.Sys.MemfdCreate("hostile-huge", Interop.Sys.MFD_CLOEXEC | Interop.Sys.MFD_ALLOW_SEALING | MfdHugetlb);
        Assert.True(fd >= 0, $"memfd_create(MFD_HUGETLB) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()} (needs a kernel with hugetlbfs)");
        try
        {
            Assert.Equal(0, Interop.Sys.Ftruncate(fd, (long)HugePage));
            Assert.Equal(0, Interop.Sys.Fcntl(fd, Interop.Sys.F_ADD_SEALS, Interop.Sys.F_SEAL_SHRINK));
            foreach (bool allowed in new[] { false, true })
            {
                string socket = MemifTestNames.Socket("hugetlb");
                using MemifInterface server = MemifInterface.Create(new MemifOptions
                {
                    Socket = socket, Role = MemifRole.Server, InterfaceId = Id, AllowHugePageRegions = allowed,
                });
                using HostileMemifClient peer = HostileMemifClient.Connect(socket);
                peer.Send(HostileMemifClient.Init(Id));
                Assert.Equal(MemifMessageType.Ack, peer.Receive().Type);
                peer.Send(HostileMemifClient.AddRegion(0, HugePage), fd);
                if (allowed)
                {
                    Assert.Equal(MemifMessageType.Ack, peer.Receive().Type);
                }
                else
                {
                    Assert.Equal("region 0 is on hugetlbfs (AllowHugePageRegions is off)", peer.ExpectDisconnect());
                }
            }
        }
        finally
        {
            Interop.Sys.Close(fd);
        }
    }

    [Fact]
    public void ARegionThatIsNotSharedMemoryIsRefusedEvenWhenUnsealedRegionsAreAllowed()
    {
        string socket = MemifTestNames.Socket("not-shm");
        using MemifInterface server = MemifInterface.Create(new MemifOptions
        {
            Socket = socket, Role = MemifRole.Server, InterfaceId = Id, AllowUnsealedRegions = true,
        });
        string file = Path.Combine(AppContext.BaseDirectory, $"not-shm-{Guid.NewGuid():N}");
        using (FileStream stream = File.Create(file))
        {
            stream.SetLength(1 << 16);
        }
        using FileStream open = File.Open(file, FileMode.Open, FileAccess.ReadWrite);
        try
        {
            using (HostileMemifClient peer = HostileMemifClient.Connect(socket))
            {
                peer.Send(HostileMemifClient.Init(Id));
                Assert.Equal(MemifMessageType.Ack, peer.Receive().Type);
                peer.Send(HostileMemifClient.AddRegion(0, 1 << 16), (int)open.SafeFileHandle.DangerousGetHandle());
                Assert.StartsWith("region 0 is not shared memory", peer.ExpectDisconnect());
            }
            using (HostileMemifClient peer = HostileMemifClient.Connect(socket))
            {
                peer.Send(HostileMemifClient.Init(Id));
                Assert.Equal(MemifMessageType.Ack, peer.Receive().Type);
                peer.Send(HostileMemifClient.AddRegion(0, 8), peer.EventS2M);
                Assert.Equal("region 0 fd is not a regular file", peer.ExpectDisconnect());
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void AClientThatNeverFinishesTheHandshakeIsCutOffAndItsIdIsReleased()
    {
        string socket = MemifTestNames.Socket("stall");
        using MemifInterface server = MemifInterface.Create(new MemifOptions
        {
            Socket = socket, Role = MemifRole.Server, InterfaceId = Id, HandshakeTimeout = TimeSpan.FromMilliseconds(300),
        });
        using (HostileMemifClient silent = HostileMemifClient.Connect(socket))
        using (HostileMemifClient claimer = HostileMemifClient.Connect(socket))
        {
            claimer.Send(HostileMemifClient.Init(Id));
            Assert.Equal(MemifMessageType.Ack, claimer.Receive().Type);
            Assert.True(Volatile.Read(ref server.IsClaimed));
            Assert.Equal("handshake not completed within 300 ms", claimer.ExpectDisconnect());
            Assert.Equal("handshake not completed within 300 ms", silent.ExpectDisconnect());
        }
        Assert.False(Volatile.Read(ref server.IsClaimed), "the expired handshake released the id");
        Assert.Equal(1, server.ProtocolErrors);

        using MemifInterface honest = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, InterfaceId = Id });
        Assert.True(honest.WaitConnected(MemifTestNames.Limit), honest.LastDisconnectReason);
    }

    [Fact]
    public void HandshakesBeyondThePendingLimitOfAUidAreRefusedAtOnce()
    {
        string socket = MemifTestNames.Socket("pending");
        using MemifInterface server = MemifInterface.Create(new MemifOptions
        {
            Socket = socket, Role = MemifRole.Server, InterfaceId = Id, MaxPendingHandshakes = 4, HandshakeTimeout = TimeSpan.FromMinutes(1),
        });
        using (HostileMemifClient first = HostileMemifClient.Connect(socket))
        using (HostileMemifClient second = HostileMemifClient.Connect(socket))
        using (HostileMemifClient third = HostileMemifClient.ConnectSilently(socket))
        {
            // Half of the 4 per uid; the tests all run as root.
            Assert.Equal("too many pending handshakes from uid 0 (2)", third.ExpectDisconnect());
        }

        using MemifInterface honest = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, InterfaceId = Id });
        Assert.True(honest.WaitConnected(MemifTestNames.Limit), honest.LastDisconnectReason);
    }

    [Fact]
    public void AThrowingConnectedHandlerEndsNothingButItsOwnCall()
    {
        string socket = MemifTestNames.Socket("handler");
        using MemifInterface first = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = 1 });
        using MemifInterface second = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server, InterfaceId = 2 });
        first.Connected += _ => throw new InvalidOperationException("a user's handler failed");
        using MemifInterface client1 = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, InterfaceId = 1 });
        Assert.True(client1.WaitConnected(MemifTestNames.Limit), client1.LastDisconnectReason);
        Assert.True(first.WaitConnected(MemifTestNames.Limit), first.LastDisconnectReason);

        using MemifInterface client2 = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Client, InterfaceId = 2 });
        Assert.True(client2.WaitConnected(MemifTestNames.Limit), "the listener died with the handler: " + client2.LastDisconnectReason);
        Assert.True(first.IsConnected);
    }

    /// <summary>A sealed region with room for both rings and a page; the S2M ring's cookie is set, the M2S one's on request.</summary>
    private static unsafe MemifRegion RegionWithRings(bool m2sCookie)
    {
        MemifRegion region = MemifRegion.Create("hostile", (ulong)(2 * s_ringBytes + 4096));
        ((MemifRingHeader*)region.Base)->Cookie = MemifConstants.Cookie;
        if (m2sCookie)
        {
            ((MemifRingHeader*)(region.Base + s_ringBytes))->Cookie = MemifConstants.Cookie;
        }
        return region;
    }

    private static MemifMessage Ring(bool s2m, ushort index = 0, uint offset = 0, byte log2 = HostileMemifClient.Log2RingSize) =>
        HostileMemifClient.AddRing(s2m, index, region: 0, offset, log2);

    /// <summary>ADD_REGION 0 (acknowledged), then <paramref name="next"/> with <paramref name="fd"/>.</summary>
    private static void WithRegion(HostileMemifClient peer, MemifRegion region, MemifMessage next, int fd)
    {
        peer.Send(HostileMemifClient.AddRegion(0, region.Size), region.Fd);
        Assert.Equal(MemifMessageType.Ack, peer.Receive().Type);
        peer.Send(next, fd);
    }

    /// <summary>Region 0 and both rings (the M2S one of the given size), then CONNECT.</summary>
    private static void BothRings(HostileMemifClient peer, MemifRegion region, int m2sLog2)
    {
        WithRegion(peer, region, Ring(s2m: true), peer.EventS2M);
        Assert.Equal(MemifMessageType.Ack, peer.Receive().Type);
        peer.Send(Ring(s2m: false, offset: (uint)s_ringBytes, log2: (byte)m2sLog2), peer.EventM2S);
        Assert.Equal(MemifMessageType.Ack, peer.Receive().Type);
        peer.Send(HostileMemifClient.Empty(MemifMessageType.Connect));
    }

    private static unsafe void MakePipe(out int read, out int write)
    {
        int* fds = stackalloc int[2];
        Assert.Equal(0, Pipe(fds));
        read = fds[0];
        write = fds[1];
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "pipe", SetLastError = true)]
    private static unsafe partial int Pipe(int* fds);
}
