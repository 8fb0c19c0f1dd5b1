using Flow.Backends.AfXdp.Tests.Infrastructure;
using Xunit;

namespace Flow.Backends.AfXdp.Tests;

/// <summary>
/// Preferred busy polling (<see cref="AfXdpOptions.BusyPollBudget"/>): the socket options as the
/// kernel reports them, and the rx stage's syscall on every empty poll.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class AfXdpBusyPollTests
{
    [Fact]
    public void BusyPollBudgetSetsPreferBusyPollTimeoutAndBudgetOnTheSocket()
    {
        using var veth = new PeerVeth();
        using var rx = new AfXdpRx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Native, BusyPollBudget = 48, BusyPollMicroseconds = 25 });

        int fd = rx.Port.Socket(0).Fd;
        Assert.Equal(1, SocketOption(fd, Interop.Sys.SO_PREFER_BUSY_POLL));
        Assert.Equal(25, SocketOption(fd, Interop.Sys.SO_BUSY_POLL));
        Assert.True(rx.Port.Socket(0).BusyPoll);
    }

    // Linux has no getsockopt for SO_BUSY_POLL_BUDGET (6.18 answers ENOPROTOOPT); the kernel's
    // range check (0..65535) shows the budget reaches setsockopt.
    [Fact]
    public void BusyPollBudgetOutOfTheKernelsRangeFailsTheOpenNamingTheOption()
    {
        using var veth = new PeerVeth();

        var error = Assert.Throws<AfXdpException>(() => new AfXdpRx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Native, BusyPollBudget = 70_000 }));

        Assert.Contains("SO_BUSY_POLL_BUDGET = 70000", error.Message);
        Assert.Null(veth.LocalXdpMode());
    }

    [Fact]
    public void WithoutBusyPollBudgetTheSocketDoesNotPreferBusyPolling()
    {
        using var veth = new PeerVeth();
        using var rx = new AfXdpRx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Native });

        int fd = rx.Port.Socket(0).Fd;
        Assert.Equal(0, SocketOption(fd, Interop.Sys.SO_PREFER_BUSY_POLL));
        Assert.False(rx.Port.Socket(0).BusyPoll);
    }

    [Fact]
    public void BusyPollingRxCallsTheKernelOnEveryEmptyPollAndStillReceives()
    {
        using var veth = new PeerVeth();
        using var rx = new AfXdpRx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Native, BusyPollBudget = 64 });
        var packets = new Packet[32];
        var nexts = new Next[32];

        long before = rx.GetStatistics().RxWakeups;
        int empty = 0;
        for (int i = 0; i < 100; i++)
        {
            int n = rx.Poll(packets, nexts);
            PacketPools.Free(packets.AsSpan(0, n));
            empty += n == 0 ? 1 : 0;
        }
        long wakeups = rx.GetStatistics().RxWakeups - before;
        byte[] frame = Frames.Make(veth.LocalMac, veth.PeerMac, 96, 7);
        KernelPeer.ScapySend(veth, [frame]);
        List<byte[]> received = Receiver.Receive(rx, 1, TimeSpan.FromSeconds(15), f => Frames.IsTest(f));

        Assert.Equal(100, empty);
        Assert.Equal(empty, wakeups);
        Assert.Equal(frame, Assert.Single(received));
    }

    private static unsafe int SocketOption(int fd, int name)
    {
        int value = -1;
        uint length = sizeof(int);
        int result = Interop.Sys.GetSockOpt(fd, Interop.Sys.SOL_SOCKET, name, &value, &length);
        Assert.True(result == 0, $"getsockopt({name}) failed");
        Assert.Equal((uint)sizeof(int), length);
        return value;
    }
}
