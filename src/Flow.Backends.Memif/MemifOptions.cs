namespace Flow.Backends.Memif;

/// <summary>
/// Options of a memif interface and of its <c>memif_rx</c>/<c>memif_tx</c> stages. Rx and tx
/// stages with the same role, socket and interface id share one interface (one connection).
/// </summary>
public sealed record MemifOptions : IPortQueueOptions
{
    /// <summary>Flow's default memif socket: a file in a directory only root (or Flow's user) can enter.</summary>
    public const string DefaultSocket = "/run/flow/memif/memif.sock";

    /// <summary>
    /// Control socket path. Server role: a missing directory is created with mode 0750, a stale
    /// socket file is replaced, a live one or a file that is not a socket is never touched.
    /// Clients and servers of other software must use the same path: DPDK
    /// <c>--vdev=net_memif,socket=/run/flow/memif/memif.sock,socket-abstract=no</c>, VPP
    /// <c>create memif socket id 1 filename /run/flow/memif/memif.sock</c>.
    /// </summary>
    public string Socket { get; init; } = DefaultSocket;

    /// <summary>
    /// Use the Linux abstract socket namespace (no file) — DPDK 22.11's default. Off by default:
    /// an abstract name has no permissions, so any process in the network namespace can bind it
    /// first and play the server. <see cref="AllowedUids"/>/<see cref="AllowedGids"/> are checked
    /// either way, but with a file the directory's mode keeps other users from even trying.
    /// </summary>
    public bool Abstract { get; init; }

    /// <summary>
    /// User ids a peer may run as, checked with SO_PEERCRED in both roles before anything is
    /// exchanged (a client never sends <see cref="Secret"/> to a server that fails it). Null:
    /// Flow's own effective uid and root. In zero-copy client role the server can rewrite the bytes
    /// of packets while they are in the graph (never their metadata): allow only users trusted
    /// with that traffic, or turn <see cref="ZeroCopy"/> off.
    /// </summary>
    public IReadOnlyList<uint>? AllowedUids { get; init; }

    /// <summary>Group ids a peer may run as (its primary gid, SO_PEERCRED), in addition to <see cref="AllowedUids"/>.</summary>
    public IReadOnlyList<uint> AllowedGids { get; init; } = [];

    public MemifRole Role { get; init; } = MemifRole.Client;

    /// <summary>Identifies the interface on the socket; client and server must agree.</summary>
    public uint InterfaceId { get; init; }

    /// <summary>Optional shared secret (at most 24 bytes); when set on the server, the client must send it.</summary>
    public string Secret { get; init; } = "";

    /// <summary>This interface's name sent in INIT/CONNECT/HELLO (at most 32 bytes).</summary>
    public string Name { get; init; } = "flow";

    /// <summary>Queue pairs wanted; the connection uses min(this, the peer's limit).</summary>
    public int QueuePairs { get; init; } = 1;

    /// <summary>log2 of ring entries (DPDK <c>rsize</c>, 1..14); the client asks, the server caps.</summary>
    public int Log2RingSize { get; init; } = 10;

    /// <summary>Bytes per shared buffer (DPDK <c>bsize</c>); longer frames use chained descriptors.</summary>
    public int BufferSize { get; init; } = 2048;

    /// <summary>Longest frame accepted or sent (chains longer than this are dropped as too long).</summary>
    public int MaxFrameSize { get; init; } = 9216;

    /// <summary>Most descriptors one packet may chain (bounds work per hostile packet).</summary>
    public int MaxChainLength { get; init; } = 32;

    /// <summary>
    /// Rx in interrupt mode: the peer signals the ring's eventfd once per burst and
    /// <see cref="MemifRx.WakeupFd"/> exposes it for the worker's event idle policy. False:
    /// polling (the ring's "don't interrupt" flag is set, the peer makes no system call).
    /// </summary>
    public bool Interrupt { get; init; }

    /// <summary>Queue this stage serves (per-queue rx/tx stage instances).</summary>
    public int Queue { get; init; }

    /// <summary>
    /// The <see cref="PacketMeta.InputPort"/> received frames carry (a switch port's id, so a
    /// graph with several memif interfaces tells them apart). Unset: the queue index.
    /// </summary>
    public ushort? InputPort { get; init; }

    /// <summary>
    /// Frames in the client's shared buffer pool; 0 = twice the rings' slots plus 1024 (in a
    /// <see cref="BufferGroup"/>: eight times, plus 1024; the first member to start sizes the group).
    /// </summary>
    public int PoolFrames { get; init; }

    /// <summary>
    /// Client role: interfaces naming the same group share one buffer region (each connection's
    /// region 1 is the same memory), so a packet received on one of them is transmitted on
    /// another without a copy — the switch graph forwards between its memif ports this
    /// way. Every peer of the group can then read and write every buffer of the group, as DPDK's
    /// memif zero-copy mode exposes its whole mempool: group only interfaces whose peers trust
    /// each other. Members must use the same <see cref="BufferSize"/>. Null: the interface's own region.
    /// </summary>
    public string? BufferGroup { get; init; }

    /// <summary>
    /// Client role: the buffer region is the memory of Flow's packet pool (true, the default), so
    /// received buffers become packets and packets of that pool are sent without a copy, and the
    /// server can read and write those frames while they are in the graph. False (copy mode, for
    /// servers that are not trusted): the buffer region is a fresh memfd per connection, unmapped
    /// when the connection ends; every received buffer is copied into a private frame of the copy
    /// pool and every sent packet into a shared buffer, so nothing the server writes reaches a
    /// packet once it was received, and a former server never sees later traffic. Cannot be
    /// combined with <see cref="BufferGroup"/>. Server role: ignored, a server always copies.
    /// </summary>
    public bool ZeroCopy { get; init; } = true;

    /// <summary>Frames in the copy pool that received packets land in (server role and client copy mode, chained frames).</summary>
    public int CopyPoolFrames { get; init; } = 8192;

    /// <summary>First delay before reconnecting after the peer went away; doubles up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectMinDelay { get; init; } = TimeSpan.FromMilliseconds(20);

    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Client role: longest wait for each handshake reply before the attempt is abandoned.
    /// Server role: longest time from accept to CONNECT; a slower peer is disconnected and the
    /// interface id and fds it held are released. A listening socket takes it from its first
    /// interface.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Server role: connections that have not reached CONNECT yet, at most, on the socket (any
    /// uid) and per peer uid (half of it, at least one): further connections are refused
    /// at once. A listening socket takes it from its first interface.
    /// </summary>
    public int MaxPendingHandshakes { get; init; } = 16;

    /// <summary>
    /// Server role: accept region fds that are not sealed against shrinking. A peer that
    /// shrinks an unsealed region after we mapped it makes our next access raise SIGBUS, so
    /// this stays false unless the peer is trusted (DPDK and libmemif seal their memfds).
    /// </summary>
    public bool AllowUnsealedRegions { get; init; }

    /// <summary>
    /// Server role: accept regions on hugetlbfs (MFD_HUGETLB memfds, DPDK zero-copy hugepage
    /// files). Off by default: a peer that punches a hole in a hugetlb file and exhausts the
    /// huge page pool makes our next touch of the hole raise SIGBUS, which sealing cannot stop.
    /// </summary>
    public bool AllowHugePageRegions { get; init; }

    /// <summary>Shard <paramref name="shard"/>'s stages serve queue pair <paramref name="shard"/> of <paramref name="shards"/> on the same connection.</summary>
    public object ForShard(int shard, int shards) => this with { Queue = shard, QueuePairs = shards, InputPort = InputPort ?? (ushort)Queue };
}
