using Flow.Backends.Memif.Protocol;

namespace Flow.Backends.Memif.Internal;

/// <summary>
/// The server side of one connection's handshake, as a state machine driven by the listener's
/// thread: INIT → ADD_REGION… → ADD_RING… → CONNECT, each message checked before it changes
/// state. A message that breaks the protocol ends only that connection, with the reason.
/// </summary>
internal sealed unsafe partial class MemifListener
{
    internal struct RingRequest
    {
        public bool Present;
        /// <summary>The interrupt eventfd the client sent; whoever holds the request owns it.</summary>
        public SafeFileDescriptor? EventFd;
        public ushort Region;
        public uint Offset;
        public int Log2Size;
    }

    private sealed class Connection
    {
        public required MemifControlChannel Channel;
        public required Interop.Sys.UCred Peer;
        public required long Deadline;
        public MemifInterface? Interface;
        public string PeerName = "";
        public readonly List<(SafeFileDescriptor Memfd, ulong Size)> Regions = new();
        public RingRequest[] S2M = [];
        public RingRequest[] M2S = [];
        public bool Up;
    }

    private void Handle(Connection connection)
    {
        ReceiveStatus status = connection.Channel.ReceiveNow(out MemifMessage message, out int fd);
        if (status == ReceiveStatus.Timeout)
        {
            return;
        }
        if (status == ReceiveStatus.Closed)
        {
            Close(connection, "peer closed the control channel", protocolError: false, tellPeer: false);
            return;
        }
        if (status == ReceiveStatus.Malformed)
        {
            Close(connection, "malformed message (not one 128-byte record)", protocolError: true, tellPeer: true);
            return;
        }
        string? problem = Dispatch(connection, ref message, ref fd, out bool byPeer);
        MemifControlChannel.CloseFd(ref fd); // any fd a message did not consume
        if (problem is not null)
        {
            Close(connection, problem, protocolError: !byPeer, tellPeer: !byPeer);
        }
    }

    /// <summary>One message of the server state machine; null when fine, else why the connection ends.</summary>
    private string? Dispatch(Connection c, ref MemifMessage message, ref int fd, out bool byPeer)
    {
        byPeer = false;
        if (message.Type == MemifMessageType.Disconnect)
        {
            byPeer = true;
            return "peer disconnected: " + MemifControlChannel.DisconnectReason(message);
        }
        if (c.Up)
        {
            return $"unexpected message {(ushort)message.Type} while connected";
        }
        if (c.Interface is null && message.Type != MemifMessageType.Init)
        {
            return $"unexpected message {(ushort)message.Type} before INIT";
        }
        switch (message.Type)
        {
            case MemifMessageType.Init:
                return OnInit(c, ref message);
            case MemifMessageType.AddRegion:
                return OnAddRegion(c, ref message, ref fd);
            case MemifMessageType.AddRing:
                return OnAddRing(c, ref message, ref fd);
            case MemifMessageType.Connect:
                return OnConnect(c, ref message);
            default:
                return $"unexpected message type {(ushort)message.Type}";
        }
    }

    private string? OnInit(Connection c, ref MemifMessage message)
    {
        if (c.Interface is not null)
        {
            return "INIT sent twice";
        }
        MemifInit init = message.Init;
        if (init.Version != MemifConstants.Version)
        {
            return $"incompatible memif version {init.Version:x}";
        }
        MemifInterface? memif = null;
        lock (_interfaces)
        {
            foreach (MemifInterface candidate in _interfaces)
            {
                if (candidate.Options.InterfaceId == init.InterfaceId)
                {
                    memif = candidate;
                }
            }
        }
        if (memif is null)
        {
            return "ID not found";
        }
        if (!MemifPeerCheck.Allows(memif.Options, c.Peer.Uid, c.Peer.Gid))
        {
            string reason = MemifPeerCheck.Refusal(c.Peer);
            memif.ServerRejectedPeer(reason);
            return reason;
        }
        if (Volatile.Read(ref memif.IsClaimed))
        {
            return "already connected";
        }
        if (init.Mode != MemifConstants.ModeEthernet)
        {
            memif.ServerRefused($"mode {init.Mode} requested; only ethernet is supported", protocolError: true);
            return "only ethernet mode supported";
        }
        if (!SecretMatches(memif.Options.Secret, init.Secret))
        {
            memif.ServerRefused("incorrect secret", protocolError: true);
            return "incorrect secret";
        }
        c.Interface = memif;
        c.PeerName = MemifControlChannel.ReadString(init.Name, MemifConstants.NameSize);
        c.S2M = new RingRequest[memif.Options.QueuePairs];
        c.M2S = new RingRequest[memif.Options.QueuePairs];
        Volatile.Write(ref memif.IsClaimed, true);
        return c.Channel.SendEmpty(MemifMessageType.Ack) == 0 ? null : "send failed";
    }

    /// <summary>
    /// Compares the NUL-padded secret fields in constant time (security review L10): both are
    /// normalised to the 24-byte field with zeros after the first NUL, then compared whole.
    /// </summary>
    private static bool SecretMatches(string expected, byte* received)
    {
        Span<byte> mine = stackalloc byte[MemifConstants.SecretSize];
        mine.Clear();
        System.Text.Encoding.UTF8.GetBytes(expected, mine);
        Span<byte> theirs = stackalloc byte[MemifConstants.SecretSize];
        new ReadOnlySpan<byte>(received, MemifConstants.SecretSize).CopyTo(theirs);
        int end = theirs.IndexOf((byte)0);
        if (end >= 0)
        {
            theirs.Slice(end).Clear();
        }
        return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(mine, theirs);
    }

    private string? OnAddRegion(Connection c, ref MemifMessage message, ref int fd)
    {
        MemifAddRegion region = message.AddRegion;
        if (fd < 0)
        {
            return "missing region fd";
        }
        if (region.Index != c.Regions.Count || region.Index > MaxRegionIndex)
        {
            return $"invalid region index {region.Index}";
        }
        if (region.Size == 0 || region.Size > MaxRegionSize)
        {
            return $"invalid region size {region.Size}";
        }
        string? problem = CheckRegionFd(fd, region.Index, region.Size, c.Interface!.Options);
        if (problem is not null)
        {
            return problem;
        }
        c.Regions.Add((new SafeFileDescriptor(fd), region.Size));
        fd = -1;
        return c.Channel.SendEmpty(MemifMessageType.Ack) == 0 ? null : "send failed";
    }

    /// <summary>
    /// The region fd must be shared memory that stays at least <paramref name="size"/> bytes
    /// long: touching a mapping past the end of its file raises SIGBUS, which would take the
    /// whole process down (security review H1). The seal is checked before the size: once
    /// F_SEAL_SHRINK is set the size can only grow, whereas a size read first can be undone by a
    /// truncate before the seal lands.
    /// </summary>
    private static string? CheckRegionFd(int fd, ushort index, ulong size, MemifOptions options)
    {
        int seals = Interop.Sys.Fcntl(fd, Interop.Sys.F_GET_SEALS, 0);
        if (!options.AllowUnsealedRegions && (seals < 0 || (seals & Interop.Sys.F_SEAL_SHRINK) == 0))
        {
            return $"region {index} is not sealed against shrinking";
        }
        if (!Interop.Sys.TryStatFd(fd, out int type, out ulong actual) || type != Interop.Sys.S_IFREG)
        {
            return $"region {index} fd is not a regular file";
        }
        long fileSystem = Interop.Sys.FileSystemType(fd);
        if (fileSystem == Interop.Sys.HUGETLBFS_MAGIC && !options.AllowHugePageRegions)
        {
            return $"region {index} is on hugetlbfs (AllowHugePageRegions is off)";
        }
        if (fileSystem != Interop.Sys.TMPFS_MAGIC && fileSystem != Interop.Sys.HUGETLBFS_MAGIC)
        {
            return $"region {index} is not shared memory (file system 0x{fileSystem:x})";
        }
        if (actual < size)
        {
            return $"region {index} fd is {actual} bytes, shorter than the {size} announced";
        }
        return null;
    }

    private string? OnAddRing(Connection c, ref MemifMessage message, ref int fd)
    {
        MemifAddRing ring = message.AddRing;
        if (fd < 0)
        {
            return "missing interrupt fd";
        }
        bool s2m = (ring.Flags & MemifConstants.AddRingFlagS2M) != 0;
        RingRequest[] rings = s2m ? c.S2M : c.M2S;
        if (ring.Index >= rings.Length || rings[ring.Index].Present)
        {
            return $"invalid ring index {ring.Index}";
        }
        if (ring.Region >= c.Regions.Count)
        {
            return $"ring {ring.Index} in unknown region {ring.Region}";
        }
        if (ring.Log2RingSize < 1 || ring.Log2RingSize > c.Interface!.MaxLog2RingSize)
        {
            return $"ring size 2^{ring.Log2RingSize} outside 2^1..2^{c.Interface!.MaxLog2RingSize}";
        }
        if ((ring.Offset & 63) != 0 ||
            (ulong)ring.Offset + (ulong)MemifRingHeader.SizeOf(ring.Log2RingSize) > c.Regions[ring.Region].Size)
        {
            return $"ring {ring.Index} at offset {ring.Offset} does not fit region {ring.Region}";
        }
        // Anything else (a pipe, a file, a socket) would make a worker in event mode spin or
        // block on it (security review L5).
        if (!Interop.Sys.IsEventFd(fd))
        {
            return "interrupt fd is not an eventfd";
        }
        // A blocking fd would stall a worker reading it in interrupt mode: force non-blocking.
        int flags = Interop.Sys.Fcntl(fd, Interop.Sys.F_GETFL, 0);
        if (flags < 0 || Interop.Sys.Fcntl(fd, Interop.Sys.F_SETFL, flags | Interop.Sys.O_NONBLOCK) < 0)
        {
            return "interrupt fd is not usable";
        }
        rings[ring.Index] = new RingRequest
        {
            Present = true, EventFd = new SafeFileDescriptor(fd), Region = ring.Region, Offset = ring.Offset, Log2Size = ring.Log2RingSize,
        };
        fd = -1;
        return c.Channel.SendEmpty(MemifMessageType.Ack) == 0 ? null : "send failed";
    }

    private string? OnConnect(Connection c, ref MemifMessage message)
    {
        int pairs = 0;
        while (pairs < c.S2M.Length && c.S2M[pairs].Present && c.M2S[pairs].Present)
        {
            pairs++;
        }
        for (int q = pairs; q < c.S2M.Length; q++)
        {
            if (c.S2M[q].Present || c.M2S[q].Present)
            {
                return $"rings are not paired from index 0 (queue {q})";
            }
        }
        if (pairs == 0)
        {
            return "CONNECT without rings";
        }
        for (int q = 1; q < pairs; q++)
        {
            if (c.S2M[q].Log2Size != c.S2M[0].Log2Size || c.M2S[q].Log2Size != c.S2M[0].Log2Size)
            {
                return "rings of different sizes";
            }
        }
        if (c.M2S[0].Log2Size != c.S2M[0].Log2Size)
        {
            return "rings of different sizes";
        }
        string peer = $"{c.PeerName}/{MemifControlChannel.ConnectName(message)}";
        var regions = new List<(SafeFileDescriptor, ulong)>(c.Regions);
        c.Regions.Clear(); // ServerConnect owns them now, success or not
        var s2m = (RingRequest[])c.S2M.Clone();
        var m2s = (RingRequest[])c.M2S.Clone();
        for (int q = 0; q < pairs; q++)
        {
            c.S2M[q] = default; // ServerConnect owns their eventfds now
            c.M2S[q] = default;
        }
        string? problem = c.Interface!.ServerConnect(regions, s2m, m2s, pairs, peer);
        if (problem is not null)
        {
            return problem;
        }
        c.Up = true;
        MemifMessage connected = default;
        connected.Type = MemifMessageType.Connected;
        MemifControlChannel.WriteString(c.Interface.Options.Name, connected.Connect.InterfaceName, MemifConstants.NameSize);
        return c.Channel.Send(ref connected) == 0 ? null : "send failed";
    }
}
