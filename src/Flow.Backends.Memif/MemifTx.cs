using Flow.Backends.Memif.Internal;

namespace Flow.Backends.Memif;

/// <summary>
/// Transmits packets on one memif queue; takes ownership of every packet (sent or dropped).
/// Drop reasons: <c>ring_full</c> — no free slot (the peer is not keeping up; memif has no
/// back-pressure, like DPDK's tx burst); <c>link_down</c> — no peer connected;
/// <c>pool_empty</c> — no shared frame to copy a foreign packet into (client);
/// <c>too_long</c> — longer than <see cref="MemifOptions.MaxFrameSize"/> or than the buffers
/// the peer posted can hold in one chain.
/// Client role: packets whose frames are in the shared pool go out without a copy (their
/// frames return to the pool when the server hands the slots back); others are copied,
/// chained over several buffers when longer than one. Client copy mode
/// (<see cref="MemifOptions.ZeroCopy"/> off): every packet is copied into the buffers its ring
/// slots own and freed at once. Server role: copied into the buffers the client posted. One eventfd signal per burst, only when the peer asked for interrupts.
/// </summary>
[Stage("memif_tx", "Transmits packets on a memif queue (client: zero-copy from the shared pool; server: copy).",
    Accepts = typeof(Carries.Ethernet), Transmits = true)]
public sealed unsafe partial class MemifTx : Stage<NoOutput, MemifTx.Reason>, IDisposable
{
    private readonly MemifInterface _interface;
    private readonly MemifQueue _queue;
    private readonly bool _ownsInterface;
    private readonly bool _isClient;
    private readonly bool _copyClient;
    private readonly int _bufferCapacity;
    private readonly int _dataOffset;
    private readonly int _maxFrame;
    private readonly int _maxChain;

    public enum Reason : byte
    {
        [DropReason("the ring had no free slot", Severity.Warning)]
        RingFull,
        [DropReason("no peer connected", Severity.Info)]
        LinkDown,
        [DropReason("no free shared frame to copy the packet into", Severity.Warning)]
        PoolEmpty,
        [DropReason("the frame is longer than the maximum or than the peer's buffers can chain", Severity.Warning)]
        TooLong,
    }

    public MemifTx(MemifOptions options)
        : this(MemifInterface.AcquireShared(options), options.Queue, ownsInterface: true)
    {
    }

    public MemifTx(MemifInterface memif, int queue)
        : this(memif, queue, ownsInterface: false)
    {
    }

    private MemifTx(MemifInterface memif, int queue, bool ownsInterface)
    {
        _interface = memif;
        _queue = memif.TxQueue(queue);
        _ownsInterface = ownsInterface;
        _isClient = memif.Role == MemifRole.Client;
        _copyClient = memif.IsCopyClient;
        _bufferCapacity = memif.Options.BufferSize;
        _dataOffset = PacketPool.DefaultDataOffset;
        _maxFrame = memif.Options.MaxFrameSize;
        _maxChain = memif.Options.MaxChainLength;
    }

    public MemifInterface Interface => _interface;

    public MemifQueueStats Stats => _interface.GetTxStats(_queue.Index);

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        RingBinding? ring = _queue.Enter();
        if (ring is null)
        {
            nexts.Slice(0, packets.Length).Fill(Drop(Reason.LinkDown));
            return;
        }
        // finally: see MemifRx.Poll (security review L5).
        try
        {
            if (_copyClient)
            {
                TransmitAsCopyClient(ring, packets, nexts);
            }
            else if (_isClient)
            {
                TransmitAsClient(ring, packets, nexts);
            }
            else
            {
                TransmitAsServer(ring, packets, nexts);
            }
        }
        finally
        {
            _queue.Exit();
        }
    }

    private static void FreeConsumed(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        Span<Packet> done = stackalloc Packet[packets.Length];
        int count = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            if (nexts[i].IsConsumed)
            {
                done[count++] = packets[i];
            }
        }
        PacketPools.Free(done.Slice(0, count));
    }

    public void Dispose()
    {
        if (_ownsInterface)
        {
            _interface.ReleaseShared();
        }
    }
}
