using System.Runtime.CompilerServices;

namespace Flow.Backends.Dpdk;

/// <summary>
/// Transmits frames on one tx queue of a DPDK port (rte_eth_tx_burst through the shim). A packet
/// of any open DPDK port's pool (received on this port or another, or allocated from one) is
/// sent as the mbuf it already is — no copy: its data offset and length are written into the
/// mbuf and the driver frees it to its mempool after sending. A packet of any other pool (memif,
/// AF_XDP, Flow's own) is copied into a fresh mbuf of this port's pool, counted in
/// <see cref="Copies"/>, and freed.
/// Drop reasons: <c>tx_full</c> (the queue took fewer than offered), <c>pool_empty</c> (no mbuf
/// for a copy), <c>too_big</c> (longer than an mbuf's data room).
/// </summary>
[Stage("dpdk_tx", "Transmits frames on a DPDK port's tx queue; mbufs without a copy, other pools' packets by a counted copy.", Transmits = true)]
public sealed unsafe class DpdkTx : Stage<NoOutput, DpdkTx.Reason>, IDeviceCounters, IDisposable
{
    private const int Chunk = 64;

    private readonly DpdkPort _port;
    private readonly string? _sharedKey;
    private readonly PacketPool _pool;
    private readonly ushort _poolId;
    private readonly nint _mempool;
    private readonly ushort _portId;
    private readonly ushort _queue;
    private readonly int _maxData;
    private long _sent;
    private long _copies;
    private bool _registered;
    private int _disposed;

    public enum Reason : byte
    {
        [DropReason("the tx queue was full", Severity.Warning)]
        TxFull,
        [DropReason("no free mbuf to copy a packet of another pool into", Severity.Warning)]
        PoolEmpty,
        [DropReason("the frame is longer than an mbuf's data room", Severity.Warning)]
        TooBig,
    }

    /// <summary>Opens (or shares with the other stages of its device) the port in <paramref name="options"/>.</summary>
    public DpdkTx(DpdkOptions options)
        : this(DpdkPorts.Acquire(options, out string key), options, key)
    {
    }

    /// <summary>Transmits on a port the caller opened and keeps owning.</summary>
    public DpdkTx(DpdkPort port, DpdkOptions options)
        : this(port, options, sharedKey: null)
    {
    }

    private DpdkTx(DpdkPort port, DpdkOptions options, string? sharedKey)
    {
        _port = port;
        _sharedKey = sharedKey;
        if (options.Queue < 0 || options.Queue >= port.Queues)
        {
            Release();
            ThrowHelper.ThrowArgument(nameof(options), $"Queue {options.Queue} is not one of the {port.Queues} queue(s) of {port}");
        }
        _pool = port.Pool;
        _poolId = _pool.Id;
        _mempool = port.Mempool;
        _portId = port.PortId;
        _queue = (ushort)options.Queue;
        _maxData = _pool.FrameSize - Mbuf.Headroom;
    }

    public DpdkPort Port => _port;

    /// <summary>The DPDK device string: rx and tx stages of one port read the same xstats.</summary>
    public string CounterDevice => _port.Device;

    public IReadOnlyList<KeyValuePair<string, long>> ReadDeviceCounters() => _port.ReadDeviceCounters();

    public int Queue => _queue;

    /// <summary>Frames the driver took.</summary>
    public long Sent => Volatile.Read(ref _sent);

    /// <summary>Packets of other pools copied into mbufs to be sent.</summary>
    public long Copies => Volatile.Read(ref _copies);

    public override void OnStart()
    {
        DpdkEal.RegisterThread();
        _registered = true;
    }

    public override void OnStop()
    {
        if (_registered)
        {
            _registered = false;
            DpdkEal.UnregisterThread();
        }
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        for (int start = 0; start < packets.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, packets.Length - start);
            SendChunk(packets.Slice(start, n), nexts.Slice(start, n));
        }
    }

    private void SendChunk(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        nint* mbufs = stackalloc nint[Chunk];
        byte* slotOf = stackalloc byte[Chunk];
        nint* copies = stackalloc nint[Chunk];
        int foreign = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            ushort poolId = packets[i].Meta.PoolId;
            if (poolId != _poolId && DpdkPools.ByPoolId(poolId) is null)
            {
                foreign++;
            }
        }
        int copiesGot = foreign == 0 ? 0 : AllocateCopies(copies, foreign);
        int copiesUsed = 0;
        int queued = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            Packet packet = packets[i];
            ref PacketMeta meta = ref packet.Meta;
            int length = meta.Length;
            nint mbuf;
            DpdkPort? owner = meta.PoolId == _poolId ? _port : DpdkPools.ByPoolId(meta.PoolId);
            if (owner is not null)
            {
                PacketPool ownerPool = owner.Pool;
                mbuf = owner.MbufOf(packet);
                // Clamped like Packet.Data: a data offset past the frame never reaches the driver.
                int offset = Math.Min(meta.DataOffset, ownerPool.FrameSize);
                length = Math.Min(length, ownerPool.FrameSize - offset);
                Mbuf.Field<ushort>(mbuf, Mbuf.DataOff) = (ushort)offset;
                Mbuf.Field<ushort>(mbuf, Mbuf.DataLen) = (ushort)length;
                Mbuf.Field<uint>(mbuf, Mbuf.PktLen) = (uint)length;
                // Before the burst: once handed over, the driver may free the mbuf and another
                // queue receive into it at once.
                ownerPool.MarkHandedOff(packet);
            }
            else if (length > _maxData)
            {
                nexts[i] = Drop(Reason.TooBig);
                continue;
            }
            else if (copiesUsed == copiesGot)
            {
                nexts[i] = Drop(Reason.PoolEmpty);
                continue;
            }
            else
            {
                mbuf = copies[copiesUsed++];
                Unsafe.CopyBlockUnaligned((byte*)Mbuf.Field<nint>(mbuf, Mbuf.BufAddr) + Mbuf.Headroom, packet.DataPointer, (uint)length);
                Mbuf.Field<ushort>(mbuf, Mbuf.DataLen) = (ushort)length;
                Mbuf.Field<uint>(mbuf, Mbuf.PktLen) = (uint)length;
            }
            mbufs[queued] = mbuf;
            slotOf[queued] = (byte)i;
            queued++;
        }
        if (copiesUsed < copiesGot)
        {
            Interop.FlowDpdk.FreeBulk(copies + copiesUsed, (uint)(copiesGot - copiesUsed));
        }
        int sent = queued == 0 ? 0 : Interop.FlowDpdk.Tx(_portId, _queue, mbufs, (ushort)queued);
        int copied = 0;
        for (int s = 0; s < queued; s++)
        {
            int i = slotOf[s];
            Packet packet = packets[i];
            DpdkPort? owner = packet.Meta.PoolId == _poolId ? _port : DpdkPools.ByPoolId(packet.Meta.PoolId);
            if (s < sent)
            {
                nexts[i] = Next.Consumed;
                if (owner is null)
                {
                    // The copy went out; the original is ours to free.
                    PacketPools.Free(packet);
                    copied++;
                }
            }
            else
            {
                if (owner is not null)
                {
                    owner.Pool.MarkTakenBack(packet);
                }
                else
                {
                    Interop.FlowDpdk.FreeBulk(mbufs + s, 1);
                }
                nexts[i] = Drop(Reason.TxFull);
            }
        }
        Volatile.Write(ref _sent, _sent + sent);
        if (copied != 0)
        {
            Volatile.Write(ref _copies, _copies + copied);
        }
    }

    /// <summary>mbufs for copies: alloc_bulk is all or nothing, so near exhaustion take what is left in halves.</summary>
    private int AllocateCopies(nint* copies, int want)
    {
        while (want > 0 && Interop.FlowDpdk.AllocBulk(_mempool, copies, (uint)want) != 0)
        {
            want /= 2;
        }
        return want;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        Release();
    }

    private void Release()
    {
        if (_sharedKey is not null)
        {
            DpdkPorts.Release(_sharedKey, _port);
        }
    }
}
