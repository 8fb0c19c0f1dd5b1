using Flow.Backends.Memif.Internal;
using Flow.Backends.Memif.Protocol;
using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Memif.Tests.Peers;

/// <summary>
/// A memif client written by hand (raw SOCK_SEQPACKET socket, memfd regions) that can follow
/// the protocol or break it on purpose: garbage messages, missing fds, descriptors outside
/// the region, lengths beyond buffers, endless chains, ring indices that jump.
/// </summary>
internal sealed unsafe class HostileMemifClient : IDisposable
{
    public const int Log2RingSize = 6;
    public const int RingSlots = 1 << Log2RingSize;
    public const int BufferSize = 2048;

    private readonly MemifControlChannel _channel;
    private readonly List<MemifRegion> _regions = new();
    private readonly int _eventS2M;
    private readonly int _eventM2S;

    private HostileMemifClient(MemifControlChannel channel)
    {
        _channel = channel;
        _eventS2M = Interop.Sys.EventFd(0, Interop.Sys.EFD_NONBLOCK | Interop.Sys.EFD_CLOEXEC);
        _eventM2S = Interop.Sys.EventFd(0, Interop.Sys.EFD_NONBLOCK | Interop.Sys.EFD_CLOEXEC);
    }

    public MemifControlChannel Channel => _channel;

    public MemifRingHeader* S2M { get; private set; }

    public MemifDescriptor* S2MDescriptors => (MemifDescriptor*)((byte*)S2M + MemifConstants.RingHeaderSize);

    /// <summary>The ring Flow's server transmits on (the client posts empty buffers here).</summary>
    public MemifRingHeader* M2S => (MemifRingHeader*)((byte*)S2M + MemifRingHeader.SizeOf(Log2RingSize));

    public MemifDescriptor* M2SDescriptors => (MemifDescriptor*)((byte*)M2S + MemifConstants.RingHeaderSize);

    /// <summary>The one region (rings, then buffers) as this peer maps it, and its memfd.</summary>
    public MemifRegion Region => _regions[0];

    /// <summary>Bytes of the one region (rings then buffers).</summary>
    public uint RegionSize { get; private set; }

    public uint BufferOffset(int index) => (uint)(2 * MemifRingHeader.SizeOf(Log2RingSize) + index * BufferSize);

    public byte* Buffer(int index) => _regions[0].Base + BufferOffset(index);

    public void Fill(int buffer, int length, byte value) => new Span<byte>(Buffer(buffer), length).Fill(value);

    public static HostileMemifClient Connect(string socket)
    {
        HostileMemifClient client = ConnectSilently(socket);
        Assert.Equal(MemifMessageType.Hello, client.Receive().Type);
        return client;
    }

    /// <summary>Connects without reading the server's first message (HELLO, or a DISCONNECT refusing us).</summary>
    public static HostileMemifClient ConnectSilently(string socket)
    {
        MemifControlChannel? channel = null;
        Assert.True(Waits.TryUntilBlocking(() => (channel = MemifControlChannel.Connect(socket, false, out _)) is not null, MemifTestNames.Limit),
            "could not connect to the Flow server");
        return new HostileMemifClient(channel!);
    }

    public MemifMessage Receive()
    {
        ReceiveStatus status = _channel.Receive(out MemifMessage message, out int fd, 5000);
        MemifControlChannel.CloseFd(ref fd);
        Assert.Equal(ReceiveStatus.Message, status);
        return message;
    }

    /// <summary>The DISCONNECT reason Flow answered with (after which it closes the channel).</summary>
    public string ExpectDisconnect()
    {
        MemifMessage message = Receive();
        Assert.Equal(MemifMessageType.Disconnect, message.Type);
        string reason = MemifControlChannel.DisconnectReason(message);
        ReceiveStatus status = _channel.Receive(out _, out int fd, 5000);
        MemifControlChannel.CloseFd(ref fd);
        Assert.Equal(ReceiveStatus.Closed, status);
        return reason;
    }

    public void Send(MemifMessage message, int fd = -1) => Assert.Equal(0, _channel.Send(ref message, fd));

    public void SendRaw(byte[] record)
    {
        fixed (byte* p = record)
        {
            Interop.Sys.IoVec iov = new() { Base = p, Length = (nuint)record.Length };
            Interop.Sys.MsgHdr header = default;
            header.Iov = &iov;
            header.IovLength = 1;
            Interop.Sys.SendMsg(_channel.Fd, &header, Interop.Sys.MSG_NOSIGNAL);
        }
    }

    public static MemifMessage Init(uint id, string name = "")
    {
        MemifMessage m = default;
        m.Type = MemifMessageType.Init;
        m.Init.Version = MemifConstants.Version;
        m.Init.InterfaceId = id;
        MemifControlChannel.WriteString(name, m.Init.Name, MemifConstants.NameSize);
        return m;
    }

    public static MemifMessage AddRegion(ushort index, ulong size)
    {
        MemifMessage m = default;
        m.Type = MemifMessageType.AddRegion;
        m.AddRegion.Index = index;
        m.AddRegion.Size = size;
        return m;
    }

    public static MemifMessage AddRing(bool s2m, ushort index, ushort region, uint offset, byte log2)
    {
        MemifMessage m = default;
        m.Type = MemifMessageType.AddRing;
        m.AddRing.Flags = s2m ? MemifConstants.AddRingFlagS2M : (ushort)0;
        m.AddRing.Index = index;
        m.AddRing.Region = region;
        m.AddRing.Offset = offset;
        m.AddRing.Log2RingSize = log2;
        return m;
    }

    public static MemifMessage Empty(MemifMessageType type)
    {
        MemifMessage m = default;
        m.Type = type;
        return m;
    }

    /// <summary>Sends one message with several fds in one SCM_RIGHTS (a memif message carries at most one).</summary>
    public void SendWithFds(MemifMessage message, params int[] fds)
    {
        int space = Interop.Sys.CmsgSpace(sizeof(int) * fds.Length);
        byte* control = stackalloc byte[space];
        new Span<byte>(control, space).Clear();
        var cmsg = (Interop.Sys.CmsgHdr*)control;
        cmsg->Length = (nuint)Interop.Sys.CmsgLen(sizeof(int) * fds.Length);
        cmsg->Level = Interop.Sys.SOL_SOCKET;
        cmsg->Type = Interop.Sys.SCM_RIGHTS;
        fds.CopyTo(new Span<int>(control + sizeof(Interop.Sys.CmsgHdr), fds.Length));
        Interop.Sys.IoVec iov = new() { Base = &message, Length = MemifConstants.MessageSize };
        Interop.Sys.MsgHdr header = default;
        header.Iov = &iov;
        header.IovLength = 1;
        header.Control = control;
        header.ControlLength = (nuint)space;
        Assert.Equal(MemifConstants.MessageSize, (int)Interop.Sys.SendMsg(_channel.Fd, &header, Interop.Sys.MSG_NOSIGNAL));
    }

    /// <summary>Eventfds for rings a test builds by hand (closed with this client).</summary>
    public int EventS2M => _eventS2M;

    public int EventM2S => _eventM2S;

    /// <summary>
    /// The H1 attack: INIT, then ADD_REGION with an unsealed memfd of the announced size while a
    /// helper thread truncates it to nothing and seals it against shrinking — right after the send
    /// (<paramref name="waitForServerSeek"/> false) or the moment the server's lseek(SEEK_END)
    /// moves the offset the two processes share (true; the old size-then-seal check). Returns the
    /// server's reply to ADD_REGION; on an ACK it goes on to CONNECT, where a server that mapped
    /// the empty file dies of SIGBUS reading the ring cookie.
    /// </summary>
    public MemifMessage ShrinkingRegionAttempt(uint id, bool waitForServerSeek)
    {
        Send(Init(id));
        Assert.Equal(MemifMessageType.Ack, Receive().Type);
        const uint Size = 1 << 20;
        int fd = Interop.Sys.MemfdCreate("hostile-shrinking", Interop.Sys.MFD_CLOEXEC | Interop.Sys.MFD_ALLOW_SEALING);
        Assert.True(fd >= 0);
        Assert.Equal(0, Interop.Sys.Ftruncate(fd, Size));
        MemifRegion region = MemifRegion.Map(new SafeFileDescriptor(fd), Size)!;
        _regions.Add(region);
        ((MemifRingHeader*)region.Base)->Cookie = MemifConstants.Cookie;
        int done = 0;
        var helper = new Thread(() =>
        {
            while (waitForServerSeek && Volatile.Read(ref done) == 0 && Interop.Sys.Lseek(fd, 0, Interop.Sys.SEEK_CUR) == 0)
            {
            }
            Interop.Sys.Ftruncate(fd, 0);
            Interop.Sys.Fcntl(fd, Interop.Sys.F_ADD_SEALS, Interop.Sys.F_SEAL_SHRINK);
        });
        Send(AddRegion(0, Size), fd);
        helper.Start();
        MemifMessage reply = Receive();
        Volatile.Write(ref done, 1);
        helper.Join();
        if (reply.Type == MemifMessageType.Ack)
        {
            Send(AddRing(s2m: true, 0, 0, 0, Log2RingSize), _eventS2M);
            Receive();
            Send(AddRing(s2m: false, 0, 0, (uint)MemifRingHeader.SizeOf(Log2RingSize), Log2RingSize), _eventM2S);
            Receive();
            Send(Empty(MemifMessageType.Connect));
        }
        return reply;
    }

    /// <summary>
    /// INIT, one region (rings + 2×ring buffers), one ring pair, CONNECT — all by the book.
    /// <paramref name="sealRegion"/> false: no seals at all (a server refuses it);
    /// <paramref name="onlyShrinkSeal"/>: sealed against shrinking only, as a server requires,
    /// leaving this peer free to grow it and add seals later.
    /// </summary>
    public void Handshake(uint id, bool sealRegion = true, bool onlyShrinkSeal = false)
    {
        Send(Init(id));
        Assert.Equal(MemifMessageType.Ack, Receive().Type);
        int ringBytes = MemifRingHeader.SizeOf(Log2RingSize);
        RegionSize = (uint)(2 * ringBytes + 2 * RingSlots * BufferSize);
        MemifRegion region = !sealRegion ? CreateUnsealed(RegionSize, seals: 0)
            : onlyShrinkSeal ? CreateUnsealed(RegionSize, Interop.Sys.F_SEAL_SHRINK)
            : MemifRegion.Create("hostile", RegionSize);
        _regions.Add(region);
        for (int r = 0; r < 2; r++)
        {
            var ring = (MemifRingHeader*)(region.Base + r * ringBytes);
            ring->Cookie = MemifConstants.Cookie;
        }
        S2M = (MemifRingHeader*)region.Base;
        MemifMessage addRegion = default;
        addRegion.Type = MemifMessageType.AddRegion;
        addRegion.AddRegion.Size = RegionSize;
        Send(addRegion, region.Fd);
        MemifMessage reply = Receive();
        if (reply.Type == MemifMessageType.Disconnect)
        {
            throw new RefusedException(MemifControlChannel.DisconnectReason(reply));
        }
        for (int direction = 0; direction < 2; direction++)
        {
            MemifMessage ring = default;
            ring.Type = MemifMessageType.AddRing;
            ring.AddRing.Flags = direction == 0 ? MemifConstants.AddRingFlagS2M : (ushort)0;
            ring.AddRing.Offset = (uint)(direction * ringBytes);
            ring.AddRing.Log2RingSize = Log2RingSize;
            Send(ring, direction == 0 ? _eventS2M : _eventM2S);
            Assert.Equal(MemifMessageType.Ack, Receive().Type);
        }
        MemifMessage connect = default;
        connect.Type = MemifMessageType.Connect;
        Send(connect);
        Assert.Equal(MemifMessageType.Connected, Receive().Type);
    }

    /// <summary>Writes descriptor <paramref name="slot"/> of the S2M ring.</summary>
    public void Put(int slot, ushort region, uint offset, uint length, bool next = false)
    {
        MemifDescriptor* d = S2MDescriptors + (slot & (RingSlots - 1));
        d->Region = region;
        d->Offset = offset;
        d->Length = length;
        d->Flags = next ? MemifConstants.DescriptorFlagNext : (ushort)0;
    }

    /// <summary>Writes descriptor <paramref name="slot"/> of the M2S ring (an empty buffer posted for Flow to fill).</summary>
    public void Post(int slot, ushort region, uint offset, uint length)
    {
        MemifDescriptor* d = M2SDescriptors + (slot & (RingSlots - 1));
        d->Region = region;
        d->Offset = offset;
        d->Length = length;
        d->Flags = 0;
    }

    /// <summary>Publishes head (the client's index) on the M2S ring: buffers posted up to it.</summary>
    public void PublishM2SHead(ushort head) => Volatile.Write(ref M2S->Head, head);

    /// <summary>Publishes head (the client's index) on the S2M ring.</summary>
    public void PublishHead(ushort head) => Volatile.Write(ref S2M->Head, head);

    public ushort Tail => Volatile.Read(ref S2M->Tail);

    private static MemifRegion CreateUnsealed(ulong size, int seals)
    {
        int fd = Interop.Sys.MemfdCreate("hostile-unsealed", Interop.Sys.MFD_CLOEXEC | (seals != 0 ? Interop.Sys.MFD_ALLOW_SEALING : 0u));
        Assert.Equal(0, Interop.Sys.Ftruncate(fd, (long)size));
        if (seals != 0)
        {
            Assert.Equal(0, Interop.Sys.Fcntl(fd, Interop.Sys.F_ADD_SEALS, seals));
        }
        return MemifRegion.Map(new SafeFileDescriptor(fd), size)!;
    }

    public void Dispose()
    {
        _channel.Dispose();
        foreach (MemifRegion region in _regions)
        {
            region.Dispose();
        }
        Interop.Sys.Close(_eventS2M);
        Interop.Sys.Close(_eventM2S);
    }

    public sealed class RefusedException(string reason) : Exception(reason);
}
