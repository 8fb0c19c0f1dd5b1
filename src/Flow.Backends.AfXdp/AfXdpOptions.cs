namespace Flow.Backends.AfXdp;

/// <summary>
/// Configuration of an AF_XDP port (one interface, <see cref="QueueCount"/> sockets) and of the
/// rx or tx stage of one of its queues. Named like the Go AF_XDP libraries' options
/// (NumFrames, FrameSize, ring sizes, XDP flags, bind flags). Stages of the same interface in
/// one process share the port, so every port-level value must match between them.
/// </summary>
public sealed record AfXdpOptions : IPortQueueOptions
{
    /// <summary>Interface name (for example a veth end).</summary>
    public string Interface { get; init; } = "";

    /// <summary>The queue this stage serves, 0 ≤ Queue &lt; <see cref="QueueCount"/>. Stage-level.</summary>
    public int Queue { get; init; }

    /// <summary>
    /// The <see cref="PacketMeta.InputPort"/> received frames carry (a switch port's id, so a graph
    /// with several interfaces tells them apart). Unset: the queue number. Stage-level.
    /// </summary>
    public ushort? InputPort { get; init; }

    /// <summary>Queues 0..QueueCount-1 each get a socket and a UMEM; one rx/tx stage pair per queue.</summary>
    public int QueueCount { get; init; } = 1;

    /// <summary>UMEM frames per queue (Go: NumFrames). Up to half of them are lent to the kernel's fill ring.</summary>
    public int FrameCount { get; init; } = 4096;

    /// <summary>
    /// One UMEM (and pool) for every queue, FrameCount frames per queue, bound with
    /// XDP_SHARED_UMEM: a frame received on one queue is transmitted on another without a copy.
    /// The other queues inherit queue 0's bind mode and need-wakeup. Needs Linux 5.10+.
    /// </summary>
    public bool SharedUmem { get; init; }

    /// <summary>UMEM chunk size: 2048 or 4096 (Go: FrameSize).</summary>
    public int FrameSize { get; init; } = 2048;

    /// <summary>
    /// UMEM headroom at the front of every chunk, a multiple of 8, on top of the kernel's own 256
    /// bytes (XDP_PACKET_HEADROOM): received data starts at Headroom + 256, and the bytes in front
    /// of it are room for pushed headers. Packet metadata is never in the UMEM.
    /// </summary>
    public int Headroom { get; init; }

    /// <summary>Entries of each of the four rings (power of two), unless a ring's own size is set.</summary>
    public int RingSize { get; init; } = 2048;

    public int FillRingSize { get; init; }

    public int CompletionRingSize { get; init; }

    public int RxRingSize { get; init; }

    public int TxRingSize { get; init; }

    /// <summary>XDP attach mode (Go: XDP flags skb/drv).</summary>
    public AfXdpAttachMode AttachMode { get; init; } = AfXdpAttachMode.Auto;

    /// <summary>Copy or zero-copy bind (Go: bind flags XDP_COPY / XDP_ZEROCOPY).</summary>
    public AfXdpBindMode BindMode { get; init; } = AfXdpBindMode.Auto;

    /// <summary>Bind with XDP_USE_NEED_WAKEUP so the kernel sleeps until poked; Flow pokes only when the ring flag asks.</summary>
    public bool NeedWakeup { get; init; } = true;

    /// <summary>
    /// Preferred busy polling (Linux 5.11+), off when 0: each socket gets SO_PREFER_BUSY_POLL,
    /// SO_BUSY_POLL = <see cref="BusyPollMicroseconds"/> and SO_BUSY_POLL_BUDGET = this value, and
    /// the rx stage calls recvfrom on every empty poll so the kernel runs the interface's NAPI in
    /// that call, on the worker's CPU. DPDK's net_af_xdp does the same by default (busy_budget=64,
    /// 20 µs); it pays off when the device's interrupts are deferred (napi_defer_hard_irqs,
    /// gro_flush_timeout). Port-level.
    /// </summary>
    public int BusyPollBudget { get; init; }

    /// <summary>SO_BUSY_POLL: how long one busy-polling syscall may spin, in microseconds, when <see cref="BusyPollBudget"/> is set. Port-level.</summary>
    public int BusyPollMicroseconds { get; init; } = 20;

    /// <summary>
    /// Blocking mode: the rx stage exposes the socket as its wakeup fd, so a worker with the event
    /// idle policy sleeps in poll(2) on it; a tx stage whose ring is full waits up to
    /// <see cref="PollTimeoutMs"/> for room before dropping. Non-blocking (default): never waits.
    /// Stage-level: an rx and a tx stage of one port may differ.
    /// </summary>
    public bool Blocking { get; init; }

    /// <summary>Longest wait of a blocking tx for ring room, in milliseconds. Stage-level.</summary>
    public int PollTimeoutMs { get; init; } = 100;

    /// <summary>
    /// Replace the XDP program a Flow run that died (crash, SIGKILL) left on the interface (on by
    /// default). Only the program that run recorded in the interface's ownership lock under
    /// /run/flow/af_xdp is replaced, and only once the lock shows the run is gone; a program of a
    /// live owner, or one no Flow run recorded (another AF_XDP application's, even with the same
    /// name), is never touched.
    /// </summary>
    public bool ReplaceLeftoverProgram { get; init; } = true;

    /// <summary>How long bind keeps retrying EBUSY (a socket of an earlier run still closing) before failing.</summary>
    public int BindBusyTimeoutMs { get; init; } = 2000;

    internal int EffectiveFillRingSize => FillRingSize > 0 ? FillRingSize : RingSize;

    internal int EffectiveCompletionRingSize => CompletionRingSize > 0 ? CompletionRingSize : RingSize;

    internal int EffectiveRxRingSize => RxRingSize > 0 ? RxRingSize : RingSize;

    internal int EffectiveTxRingSize => TxRingSize > 0 ? TxRingSize : RingSize;

    /// <summary>The same options with the stage-level fields cleared: what stages sharing a port must agree on.</summary>
    internal AfXdpOptions PortLevel => this with { Queue = 0, InputPort = null, Blocking = false, PollTimeoutMs = 0 };

    /// <summary>Shard <paramref name="shard"/>'s stages serve queue <paramref name="shard"/> of <paramref name="shards"/> (one socket each; RSS spreads flows).</summary>
    public object ForShard(int shard, int shards) => this with { Queue = shard, QueueCount = shards, InputPort = InputPort ?? (ushort)Queue };
}
