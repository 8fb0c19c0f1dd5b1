using System.Numerics;
using Flow.Backends.Memif.Internal;
using Flow.Backends.Memif.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow.Backends.Memif;

/// <summary>
/// One memif interface: its control connection (client: connects and reconnects with backoff;
/// server: registered by id on a shared listening socket), its shared memory and its queue
/// pairs. The <see cref="MemifRx"/> and <see cref="MemifTx"/> stages of each queue move the
/// packets; this class never touches packets on the data path.
/// </summary>
/// <remarks>
/// Client role: Flow owns the memory. Region 0 holds the rings, region 1 the buffers. Zero-copy
/// (the default): region 1 is the frames of a <see cref="PacketPool"/> wrapped around it;
/// received buffers become packets without a copy, transmitted packets of that pool go out
/// without a copy, and the memory stays mapped across reconnects so packets in flight in the
/// graph stay valid (it gets fresh memory at a reconnect when none are). Copy mode
/// (<see cref="MemifOptions.ZeroCopy"/> off): region 1 is a fresh memfd per connection and
/// packets are copied in and out of it. Server role: the peer's regions are mapped per
/// connection, descriptors are validated and data is copied into (rx) or out of (tx) Flow's
/// own frames.
/// Packet metadata is private in every mode (ADR 006): a peer can write packet bytes it shares
/// with Flow — in zero-copy mode also while the packet is in the graph, so it can change what is
/// forwarded — but never Flow's metadata or where Flow reads and writes. Both roles admit only
/// peers whose SO_PEERCRED uid/gid the options allow (by default Flow's own user and root), and a
/// client checks the server before it sends anything. A server not trusted with packets in flight
/// should be used in copy mode. See docs/memif.md, "What a peer can and cannot do".
/// </remarks>
public sealed partial class MemifInterface : IDisposable
{
    private static readonly DeviceRegistry<MemifInterfaceKey, MemifStageSettings, MemifInterface> s_shared = new("memif interface");

    private readonly ILogger _logger;
    private readonly MemifQueue[] _rx;
    private readonly MemifQueue[] _tx;
    private readonly PacketPool? _jumboPool;
    private readonly PacketPool? _copyPool;
    private readonly int _maxLog2;
    private int _queuePairs;
    private int _ringSize;
    private long _connections;
    private long _disconnects;
    private long _protocolErrors;
    private long _rejectedPeers;
    private long _regionReuses;
    private string? _lastDisconnectReason;
    private string _peerName = "";
    private int _disposed;

    private MemifInterface(MemifOptions options, ILogger? logger)
    {
        Validate(options);
        Options = options;
        _logger = logger ?? NullLogger.Instance;
        _maxLog2 = options.Log2RingSize;
        int slots = 1 << _maxLog2;
        _rx = new MemifQueue[options.QueuePairs];
        _tx = new MemifQueue[options.QueuePairs];
        for (int q = 0; q < options.QueuePairs; q++)
        {
            _rx[q] = new MemifQueue(q, isRx: true, slots);
            _tx[q] = new MemifQueue(q, isRx: false, slots);
        }
        int jumboFrame = RoundUp64(options.MaxFrameSize + PacketPool.DefaultDataOffset);
        if (options.MaxFrameSize > PacketPool.DefaultFrameSize - PacketPool.DefaultDataOffset)
        {
            _jumboPool = PacketPool.Create(Math.Max(64, options.QueuePairs * 128), jumboFrame, name: $"memif-{options.InterfaceId}-jumbo");
        }
        if (options.Role == MemifRole.Server || !options.ZeroCopy)
        {
            _copyPool = PacketPool.Create(options.CopyPoolFrames, name: $"memif-{options.InterfaceId}-copy");
        }
    }

    public MemifOptions Options { get; }

    public MemifRole Role => Options.Role;

    /// <summary>"role:socket#id", for logs and errors.</summary>
    public string DisplayName => MemifInterfaceKey.Of(Options).ToString();

    /// <summary>True while a peer is connected and the rings are live.</summary>
    public bool IsConnected => Volatile.Read(ref _queuePairs) > 0;

    /// <summary>Queue pairs of the live connection (0 when down).</summary>
    public int ConnectedQueuePairs => Volatile.Read(ref _queuePairs);

    /// <summary>Ring slots of the live connection (0 when down).</summary>
    public int ConnectedRingSize => Volatile.Read(ref _ringSize);

    /// <summary>Name the peer gave (HELLO/INIT and CONNECT/CONNECTED).</summary>
    public string PeerName => Volatile.Read(ref _peerName);

    /// <summary>Connections established so far.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Connections after the first: how often the link came back after the peer went away.</summary>
    public long Reconnects => Math.Max(0, Interlocked.Read(ref _connections) - 1);

    public long Disconnects => Interlocked.Read(ref _disconnects);

    /// <summary>Handshakes refused or connections dropped because the peer broke the protocol.</summary>
    public long ProtocolErrors => Interlocked.Read(ref _protocolErrors);

    /// <summary>
    /// Peers refused because of who they are: SO_PEERCRED not in the allowed uids/gids (client:
    /// servers refused before INIT; server: connections to this interface's socket that no
    /// interface there allows, and INITs naming this interface from a peer it does not allow),
    /// or a server whose user may not see this client's buffer memory (see <see cref="MemifOptions.BufferGroup"/>).
    /// </summary>
    public long RejectedPeers => Interlocked.Read(ref _rejectedPeers);

    /// <summary>
    /// Client zero-copy (<c>region_reused</c>): connections whose server got the same buffer region
    /// a former server had mapped, because frames of the pool were still out (in the graph) at
    /// reconnect or the region is a <see cref="MemifOptions.BufferGroup"/>'s. Otherwise each
    /// reconnect puts fresh memory behind the pool. Copy mode never reuses a region.
    /// </summary>
    public long RegionReuses => Interlocked.Read(ref _regionReuses);

    /// <summary>Why the last connection ended (or a handshake was refused).</summary>
    public string? LastDisconnectReason => Volatile.Read(ref _lastDisconnectReason);

    /// <summary>Raised on the control thread when the link comes up.</summary>
    public event Action<MemifInterface>? Connected;

    /// <summary>Raised on the control thread when the link goes down (with the reason).</summary>
    public event Action<MemifInterface, string>? Disconnected;

    internal PacketPool? JumboPool => _jumboPool;

    internal PacketPool? CopyPool => _copyPool;

    internal MemifQueue RxQueue(int queue) => _rx[queue];

    internal MemifQueue TxQueue(int queue) => _tx[queue];

    /// <summary>Creates the interface and starts its control thread (client: connecting; server: listening).</summary>
    public static MemifInterface Create(MemifOptions options, ILogger? logger = null)
    {
        var memif = new MemifInterface(options, logger);
        try
        {
            if (options.Role == MemifRole.Client)
            {
                memif.StartClient();
            }
            else
            {
                memif.StartServer();
            }
        }
        catch
        {
            memif.Dispose();
            throw;
        }
        return memif;
    }

    /// <summary>
    /// The interface for these options shared by every rx/tx stage of the same role, socket and
    /// id (created on first use; released by <see cref="ReleaseShared"/>). A stage whose other
    /// options differ is refused: it would otherwise run silently with the first one's secret,
    /// buffer size, mode... (security review L11).
    /// </summary>
    internal static MemifInterface AcquireShared(MemifOptions options) =>
        s_shared.Acquire(MemifInterfaceKey.Of(options), new MemifStageSettings(options), (_, _) => Create(options));

    /// <summary>Drops one stage's reference; the last one disposes the interface.</summary>
    internal void ReleaseShared() => s_shared.Release(MemifInterfaceKey.Of(Options), this);

    /// <summary>Counters of rx queue <paramref name="queue"/>.</summary>
    public MemifQueueStats GetRxStats(int queue) => _rx[queue].Snapshot(Reconnects);

    /// <summary>Counters of tx queue <paramref name="queue"/>.</summary>
    public MemifQueueStats GetTxStats(int queue) => _tx[queue].Snapshot(Reconnects);

    /// <summary>Waits (bounded, polling the state) until the link is up; false on timeout.</summary>
    public bool WaitConnected(TimeSpan timeout) => WaitFor(() => IsConnected, timeout);

    /// <summary>Waits until <see cref="Connections"/> reaches <paramref name="count"/> and the link is up.</summary>
    public bool WaitConnections(long count, TimeSpan timeout) => WaitFor(() => Connections >= count && IsConnected, timeout);

    private static bool WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }
            Thread.Sleep(5);
        }
        return true;
    }

    private void OnConnected(int queuePairs, int ringSize, string peer)
    {
        Volatile.Write(ref _peerName, peer);
        Volatile.Write(ref _ringSize, ringSize);
        Interlocked.Increment(ref _connections);
        Volatile.Write(ref _queuePairs, queuePairs);
        MemifLog.Connected(_logger, DisplayName, peer, queuePairs, ringSize);
        try
        {
            Connected?.Invoke(this);
        }
        catch (Exception exception)
        {
            // A user's handler: its failure must not stop the control thread mid-connect
            // (the listener serves every server interface of the socket; security review L5).
            MemifLog.HandlerFailed(_logger, DisplayName, nameof(Connected), exception);
        }
    }

    private void OnDisconnected(string reason, bool protocolError)
    {
        Volatile.Write(ref _queuePairs, 0);
        Volatile.Write(ref _ringSize, 0);
        Volatile.Write(ref _lastDisconnectReason, reason);
        Interlocked.Increment(ref _disconnects);
        if (protocolError)
        {
            Interlocked.Increment(ref _protocolErrors);
        }
        MemifLog.Disconnected(_logger, DisplayName, reason);
        try
        {
            Disconnected?.Invoke(this, reason);
        }
        catch (Exception exception)
        {
            MemifLog.HandlerFailed(_logger, DisplayName, nameof(Disconnected), exception);
        }
    }

    /// <summary>Handshake refused before the link came up (counted, remembered, logged).</summary>
    private void OnRefused(string reason, bool protocolError)
    {
        Volatile.Write(ref _lastDisconnectReason, reason);
        if (protocolError)
        {
            Interlocked.Increment(ref _protocolErrors);
        }
        MemifLog.ConnectFailed(_logger, DisplayName, reason);
    }

    /// <summary>First fault a worker raised on any ring (the peer broke the ring protocol), or null.</summary>
    private string? TakeQueueFault(int queuePairs)
    {
        for (int q = 0; q < queuePairs; q++)
        {
            string? fault = _rx[q].Fault ?? _tx[q].Fault;
            if (fault is not null)
            {
                return $"queue {q}: {fault}";
            }
        }
        return null;
    }

    internal static int RoundUp64(int value) => (value + 63) & ~63;

    private static void Validate(MemifOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(options.Socket))
        {
            errors.Add("Socket: a socket name is required");
        }
        if (options.QueuePairs is < 1 or > 255)
        {
            errors.Add($"QueuePairs: {options.QueuePairs} is outside 1..255");
        }
        if (options.Log2RingSize is < 1 or > MemifConstants.MaxLog2RingSize)
        {
            errors.Add($"Log2RingSize: {options.Log2RingSize} is outside 1..{MemifConstants.MaxLog2RingSize}");
        }
        if (options.BufferSize < 128 || options.BufferSize > 65472 - PacketPool.DefaultDataOffset || options.BufferSize % 64 != 0)
        {
            errors.Add($"BufferSize: {options.BufferSize} must be a multiple of 64 between 128 and {65472 - PacketPool.DefaultDataOffset}");
        }
        if (options.MaxFrameSize is < 60 or > 65472 - PacketPool.DefaultDataOffset)
        {
            errors.Add($"MaxFrameSize: {options.MaxFrameSize} is outside 60..{65472 - PacketPool.DefaultDataOffset}");
        }
        if (options.MaxChainLength < 1)
        {
            errors.Add($"MaxChainLength: {options.MaxChainLength} must be at least 1");
        }
        if (System.Text.Encoding.UTF8.GetByteCount(options.Secret) > MemifConstants.SecretSize)
        {
            errors.Add($"Secret: at most {MemifConstants.SecretSize} bytes");
        }
        if (options.Queue < 0 || options.Queue >= options.QueuePairs)
        {
            errors.Add($"Queue: {options.Queue} is outside 0..{options.QueuePairs - 1}");
        }
        if (options.MaxPendingHandshakes < 1)
        {
            errors.Add($"MaxPendingHandshakes: {options.MaxPendingHandshakes} must be at least 1");
        }
        if (options.HandshakeTimeout <= TimeSpan.Zero)
        {
            errors.Add($"HandshakeTimeout: {options.HandshakeTimeout} must be positive");
        }
        if (options.BufferGroup is not null && (options.BufferGroup.Length == 0 || options.Role != MemifRole.Client))
        {
            errors.Add("BufferGroup: a non-empty name, and only in client role (the client owns the memory)");
        }
        if (!options.ZeroCopy && options.BufferGroup is not null && options.Role == MemifRole.Client)
        {
            errors.Add("ZeroCopy: copy mode gives each connection its own buffer region; it cannot share a BufferGroup's");
        }
        if (errors.Count > 0)
        {
            throw new ArgumentException($"invalid memif options: {string.Join("; ", errors)}", nameof(options));
        }
    }

    /// <summary>
    /// Disconnects (DISCONNECT "interface closed"), stops the control thread and frees the
    /// memory. Stop the graphs whose stages use this interface first: in client role their
    /// packets live in this interface's shared memory.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (Role == MemifRole.Client)
        {
            StopClient();
        }
        else
        {
            StopServer();
        }
        _jumboPool?.Dispose();
        _copyPool?.Dispose();
    }

    private static int Log2(int value) => BitOperations.Log2((uint)value);
}
