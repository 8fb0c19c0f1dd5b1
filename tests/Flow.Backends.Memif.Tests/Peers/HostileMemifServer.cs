using Flow.Backends.Memif.Internal;
using Flow.Backends.Memif.Protocol;
using Xunit;

namespace Flow.Backends.Memif.Tests.Peers;

/// <summary>
/// A memif server written by hand (raw SOCK_SEQPACKET listening socket) that a Flow client
/// connects to: it answers by the book or lies in any field, sends fds or none, stalls, or hangs
/// up mid-handshake.
/// </summary>
internal sealed unsafe class HostileMemifServer : IDisposable
{
    private readonly string _path;
    private int _listenFd;

    private HostileMemifServer(string path, int listenFd)
    {
        _path = path;
        _listenFd = listenFd;
    }

    /// <summary>Binds and listens on the socket file <paramref name="path"/>.</summary>
    public static HostileMemifServer Listen(string path)
    {
        int fd = Interop.Sys.Socket(Interop.Sys.AF_UNIX, Interop.Sys.SOCK_SEQPACKET | Interop.Sys.SOCK_CLOEXEC, 0);
        Assert.True(fd >= 0);
        Interop.Sys.SockAddrUn address;
        int length = Interop.Sys.MakeAddress(path, isAbstract: false, &address);
        Assert.Equal(0, Interop.Sys.Bind(fd, &address, (uint)length));
        Assert.Equal(0, Interop.Sys.Listen(fd, 4));
        return new HostileMemifServer(path, fd);
    }

    /// <summary>Waits for the Flow client's next connection.</summary>
    public MemifControlChannel Accept()
    {
        Interop.Sys.PollFd pfd = new() { Fd = _listenFd, Events = Interop.Sys.POLLIN };
        Assert.Equal(1, Interop.Sys.Poll(&pfd, 1, (int)MemifTestNames.Limit.TotalMilliseconds));
        int fd = Interop.Sys.Accept4(_listenFd, null, null, Interop.Sys.SOCK_CLOEXEC);
        Assert.True(fd >= 0, "accept failed");
        return new MemifControlChannel(fd);
    }

    /// <summary>A HELLO as Flow's own listener sends it: version 2.0, 16 regions, one queue pair, 2^10 slots.</summary>
    public static MemifMessage Hello(string name = "hostile")
    {
        MemifMessage hello = default;
        hello.Type = MemifMessageType.Hello;
        hello.Hello.MinVersion = MemifConstants.Version;
        hello.Hello.MaxVersion = MemifConstants.Version;
        hello.Hello.MaxRegion = 15;
        hello.Hello.MaxLog2RingSize = 10;
        MemifControlChannel.WriteString(name, hello.Hello.Name, MemifConstants.NameSize);
        return hello;
    }

    public static MemifMessage Empty(MemifMessageType type)
    {
        MemifMessage message = default;
        message.Type = type;
        return message;
    }

    public static MemifMessage Disconnect(string reason)
    {
        MemifMessage message = default;
        message.Type = MemifMessageType.Disconnect;
        MemifControlChannel.WriteString(reason, message.Disconnect.Reason, MemifConstants.DisconnectReasonSize);
        return message;
    }

    public static void Send(MemifControlChannel channel, MemifMessage message, int fd = -1) => Assert.Equal(0, channel.Send(ref message, fd));

    /// <summary>The next message from the Flow client, with the fd it carried (the caller closes it).</summary>
    public static MemifMessage Receive(MemifControlChannel channel, out int fd)
    {
        ReceiveStatus status = channel.Receive(out MemifMessage message, out fd, (int)MemifTestNames.Limit.TotalMilliseconds);
        Assert.Equal(ReceiveStatus.Message, status);
        return message;
    }

    /// <summary>
    /// Answers a Flow client's handshake after HELLO by the book: ACKs INIT, the regions (their
    /// fds are kept in <paramref name="regionFds"/>, the caller closes them) and the rings, then
    /// CONNECTED with <paramref name="name"/>.
    /// </summary>
    public static void ServeHandshake(MemifControlChannel channel, List<int> regionFds, string name = "hostile")
    {
        while (true)
        {
            MemifMessage message = Receive(channel, out int fd);
            switch (message.Type)
            {
                case MemifMessageType.AddRegion:
                    regionFds.Add(fd);
                    Send(channel, Empty(MemifMessageType.Ack));
                    break;
                case MemifMessageType.Connect:
                    MemifControlChannel.CloseFd(ref fd);
                    MemifMessage connected = default;
                    connected.Type = MemifMessageType.Connected;
                    MemifControlChannel.WriteString(name, connected.Connect.InterfaceName, MemifConstants.NameSize);
                    Send(channel, connected);
                    return;
                default:
                    Assert.True(message.Type is MemifMessageType.Init or MemifMessageType.AddRing, $"unexpected message {message.Type}");
                    MemifControlChannel.CloseFd(ref fd);
                    Send(channel, Empty(MemifMessageType.Ack));
                    break;
            }
        }
    }

    /// <summary>Stops listening but leaves the socket file, as a crashed server does.</summary>
    public void CloseKeepingFile()
    {
        int fd = Interlocked.Exchange(ref _listenFd, -1);
        if (fd >= 0)
        {
            Interop.Sys.Close(fd);
        }
    }

    /// <summary>Stops listening and removes the socket file (a Flow server can bind the path next).</summary>
    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _listenFd, -1);
        if (fd >= 0)
        {
            Interop.Sys.Close(fd);
            Interop.Sys.Unlink(_path);
        }
    }
}
