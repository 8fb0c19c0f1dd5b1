namespace Flow.Backends.Memif;

/// <summary>
/// Options of a memif interface and of its <c>memif_rx</c>/<c>memif_tx</c> stages. Rx and tx
/// stages with the same role, socket and interface id share one interface (one connection).
/// </summary>
public sealed record MemifOptions
{
    /// <summary>Control socket name. DPDK's default is <c>/run/memif.sock</c> (abstract by default).</summary>
    public string Socket { get; init; } = "/run/memif.sock";

    /// <summary>Use the Linux abstract socket namespace (no file); DPDK 22.11's default is yes.</summary>
    public bool Abstract { get; init; } = true;

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

    /// <summary>Frames in the copy pool that received packets land in (server role, chained frames).</summary>
    public int CopyPoolFrames { get; init; } = 8192;

    /// <summary>First delay before reconnecting after the peer went away; doubles up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectMinDelay { get; init; } = TimeSpan.FromMilliseconds(20);

    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait for each handshake reply before the attempt is abandoned.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Server role: accept region fds that are not sealed against shrinking. A peer that
    /// shrinks an unsealed region after we mapped it makes our next access raise SIGBUS, so
    /// this stays false unless the peer is trusted (DPDK and libmemif seal their memfds).
    /// </summary>
    public bool AllowUnsealedRegions { get; init; }
}
