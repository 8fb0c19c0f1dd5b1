using Flow.Backends.Memif.Internal;
using Flow.Backends.Memif.Protocol;
using Flow.Backends.Memif.Tests.Peers;
using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Memif.Tests;

/// <summary>
/// A hand-written server lying to a Flow client in every handshake message, stalling, hanging up
/// and sending fds nobody asked for. Each lie ends that attempt with a reason (counted as a
/// protocol error unless the server itself ended it); the client keeps reconnecting and then
/// connects to an honest Flow server on the same path:
/// <code>
///  Flow client ══ hostile server (raw socket) … then ══ honest Flow server
/// </code>
/// </summary>
[Collection(nameof(MemifCollection))]
public class MemifHostileServerHandshakeTests
{
    private static MemifOptions Client(string socket) => new()
    {
        Socket = socket, Role = MemifRole.Client, HandshakeTimeout = TimeSpan.FromMilliseconds(300),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(50),
    };

    [Fact]
    public async Task EveryLieOfAServerEndsOnlyThatAttemptAndTheClientThenConnectsToAnHonestOne()
    {
        string socket = MemifTestNames.Socket("lying-server");
        var hostile = HostileMemifServer.Listen(socket);
        using MemifInterface client = MemifInterface.Create(Client(socket));
        int extraFd = Interop.Sys.EventFd(0, Interop.Sys.EFD_CLOEXEC);
        try
        {
            MemifMessage newer = HostileMemifServer.Hello();
            newer.Hello.MinVersion = 0x0300;
            newer.Hello.MaxVersion = 0x0300;
            Assert.Equal("incompatible memif version 300..300", Refusal(c => HostileMemifServer.Send(c, newer)));
            MemifMessage oneRegion = HostileMemifServer.Hello();
            oneRegion.Hello.MaxRegion = 0;
            Assert.StartsWith("peer accepts only one region", Refusal(c => HostileMemifServer.Send(c, oneRegion)));
            Assert.Equal("expected Hello, got message type 1",
                Refusal(c => HostileMemifServer.Send(c, HostileMemifServer.Empty(MemifMessageType.Ack))));
            Assert.Equal("expected Ack, got message type 2 (after Init)", Refusal(c =>
            {
                HostileMemifServer.Send(c, HostileMemifServer.Hello());
                HostileMemifServer.Send(c, HostileMemifServer.Hello()); // HELLO again instead of ACK
            }));
            Assert.Equal("expected Ack, got message type 7 (after Init)", Refusal(c =>
            {
                HostileMemifServer.Send(c, HostileMemifServer.Hello());
                HostileMemifServer.Send(c, HostileMemifServer.Empty(MemifMessageType.Connected)); // out of order
            }));
            Assert.Equal("no Ack within 300 ms (after Init)",
                Refusal(c => HostileMemifServer.Send(c, HostileMemifServer.Hello(), extraFd))); // an fd nobody asked for, then silence
            Assert.Equal("malformed message during the handshake", Refusal(c => SendRaw(c, new byte[40])));
            Assert.Equal("peer refused: ?[31mgo away??FAKE LOG LINE (after Init)", Refusal(c =>
            {
                HostileMemifServer.Send(c, HostileMemifServer.Hello());
                HostileMemifServer.Send(c, HostileMemifServer.Disconnect("\u001b[31mgo away\r\nFAKE LOG LINE"));
            }));
            using (MemifControlChannel c = hostile.Accept())
            {
                HostileMemifServer.Send(c, HostileMemifServer.Hello());
                Assert.Equal(MemifMessageType.Init, HostileMemifServer.Receive(c, out int fd).Type);
                MemifControlChannel.CloseFd(ref fd);
            } // hung up mid-handshake
            Assert.True(Waits.TryUntilBlocking(() => client.LastDisconnectReason?.StartsWith("peer closed", StringComparison.Ordinal) == true, MemifTestNames.Limit),
                client.LastDisconnectReason);
            // Six lies above are protocol errors; a server that refuses, hangs up or cannot
            // serve two regions is not.
            Assert.Equal(6, client.ProtocolErrors);

            var regionFds = new List<int>();
            using (MemifControlChannel c = hostile.Accept())
            {
                HostileMemifServer.Send(c, HostileMemifServer.Hello("\u001b]0;pwned\u0007"));
                HostileMemifServer.ServeHandshake(c, regionFds, name: "evil\nname");
                Assert.True(client.WaitConnected(MemifTestNames.Limit), client.LastDisconnectReason);
                Assert.Equal("?]0;pwned?/evil?name", client.PeerName);
                HostileMemifServer.Send(c, HostileMemifServer.Disconnect("bye\u001b[2J"));
                Assert.True(Waits.TryUntilBlocking(() => !client.IsConnected, MemifTestNames.Limit));
            }
            Assert.Equal("peer disconnected: bye?[2J", client.LastDisconnectReason);
            regionFds.ForEach(fd => Interop.Sys.Close(fd));
        }
        finally
        {
            hostile.Dispose();
            Interop.Sys.Close(extraFd);
        }

        using MemifInterface server = MemifInterface.Create(new MemifOptions { Socket = socket, Role = MemifRole.Server });
        Assert.True(client.WaitConnections(2, MemifTestNames.Limit), client.LastDisconnectReason);
        await MemifFlowPairTests.Transfer(client, server, 64, count: 500, queues: 1);

        // One lie of the hostile server, answered: the client's DISCONNECT carries the reason.
        string Refusal(Action<MemifControlChannel> lie)
        {
            using MemifControlChannel c = hostile.Accept();
            lie(c);
            while (true)
            {
                ReceiveStatus status = c.Receive(out MemifMessage message, out int fd, (int)MemifTestNames.Limit.TotalMilliseconds);
                MemifControlChannel.CloseFd(ref fd);
                Assert.Equal(ReceiveStatus.Message, status);
                if (message.Type == MemifMessageType.Disconnect)
                {
                    return MemifControlChannel.DisconnectReason(message);
                }
                Assert.Equal(MemifMessageType.Init, message.Type);
            }
        }
    }

    [Fact]
    public void AClientSendsNothingToAServerWhoseUserIsNotAllowed()
    {
        string socket = MemifTestNames.Socket("untrusted-server");
        using var hostile = HostileMemifServer.Listen(socket);
        // One attempt only: a retry would wait in the listen backlog and time out, overwriting the reason.
        using MemifInterface client = MemifInterface.Create(Client(socket) with
        {
            AllowedUids = [4242], Secret = "s3cret", ReconnectMinDelay = TimeSpan.FromMinutes(1), ReconnectMaxDelay = TimeSpan.FromMinutes(1),
        });
        using (MemifControlChannel c = hostile.Accept())
        {
            // The send may fail: the client checks the credentials before reading anything and
            // may have hung up already.
            MemifMessage hello = HostileMemifServer.Hello();
            c.Send(ref hello);
            // No INIT (which would carry the secret), not even a DISCONNECT: the client hangs up.
            Assert.Equal(ReceiveStatus.Closed, c.Receive(out _, out int fd, (int)MemifTestNames.Limit.TotalMilliseconds));
            MemifControlChannel.CloseFd(ref fd);
        }
        Assert.True(Waits.TryUntilBlocking(() => client.RejectedPeers >= 1, MemifTestNames.Limit), "not counted");
        Assert.Matches(@"^peer pid \d+ uid 0 gid 0 is not in the allowed uids/gids$", client.LastDisconnectReason);
        Assert.Equal(0, client.ProtocolErrors);
        Assert.False(client.IsConnected);
    }

    [Fact]
    public void EachConnectionGetsAFreshRingRegionAndNoRegionAcceptsNewSeals()
    {
        string socket = MemifTestNames.Socket("fresh-rings");
        using var hostile = HostileMemifServer.Listen(socket);
        using MemifInterface client = MemifInterface.Create(Client(socket));
        var first = new List<int>();
        var second = new List<int>();
        try
        {
            foreach (List<int> regionFds in new[] { first, second })
            {
                using MemifControlChannel c = hostile.Accept();
                HostileMemifServer.Send(c, HostileMemifServer.Hello());
                HostileMemifServer.ServeHandshake(c, regionFds);
                Assert.True(Waits.TryUntilBlocking(() => client.IsConnected, MemifTestNames.Limit), client.LastDisconnectReason);
                HostileMemifServer.Send(c, HostileMemifServer.Disconnect("next"));
                Assert.True(Waits.TryUntilBlocking(() => !client.IsConnected, MemifTestNames.Limit));
            }
            Assert.Equal(2, first.Count);
            Assert.Equal(2, second.Count);
            Assert.NotEqual(Inode(first[0]), Inode(second[0])); // region 0: the rings
            const int Seals = Interop.Sys.F_SEAL_SEAL | Interop.Sys.F_SEAL_SHRINK | Interop.Sys.F_SEAL_GROW;
            foreach (int fd in first.Concat(second))
            {
                // F_SEAL_SEAL: a former server cannot add F_SEAL_FUTURE_WRITE and break the next one's mmap.
                Assert.Equal(Seals, Interop.Sys.Fcntl(fd, Interop.Sys.F_GET_SEALS, 0) & Seals);
            }
        }
        finally
        {
            first.Concat(second).ToList().ForEach(fd => Interop.Sys.Close(fd));
        }
    }

    private static ulong Inode(int fd)
    {
        Interop.Sys.Statx buffer = default;
        unsafe
        {
            Assert.Equal(0, Interop.Sys.StatxPath(fd, "", Interop.Sys.AT_EMPTY_PATH, Interop.Sys.STATX_TYPE, &buffer));
        }
        return buffer.Inode;
    }

    private static unsafe void SendRaw(MemifControlChannel channel, byte[] record)
    {
        fixed (byte* p = record)
        {
            Interop.Sys.IoVec iov = new() { Base = p, Length = (nuint)record.Length };
            Interop.Sys.MsgHdr header = default;
            header.Iov = &iov;
            header.IovLength = 1;
            Interop.Sys.SendMsg(channel.Fd, &header, Interop.Sys.MSG_NOSIGNAL);
        }
    }
}
