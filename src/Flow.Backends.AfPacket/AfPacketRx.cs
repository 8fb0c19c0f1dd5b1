using System.Runtime.CompilerServices;

namespace Flow.Backends.AfPacket;

/// <summary>
/// Receives frames from a Linux interface through an AF_PACKET TPACKET_V3 mmap ring: the
/// kernel fills blocks of frames, this stage copies a burst of them into its pool per poll and
/// hands each block back when it is done. Promiscuous mode and PACKET_FANOUT (several rx
/// stages on one interface, one per worker) are options.
/// Output <c>out</c>: received Ethernet frames, with the 802.1Q tag the kernel stripped put back
/// (the PACKET_AUXDATA values from the ring header) unless <see cref="AfPacketOptions.RestoreVlan"/>
/// is off, in which case the tag is in <see cref="PacketMeta.VlanTci"/> with
/// <see cref="PacketFlags.VlanStripped"/>. Timestamp and RSS hash come from the ring header.
/// Drop reasons: <c>kernel_drop</c> (the ring was full and the kernel lost the frame; read from
/// PACKET_STATISTICS every 100 ms and at stop), <c>too_big</c> (frame longer than a pool frame),
/// <c>runt</c> (shorter than two MACs, so no tag can be put back).
/// </summary>
/// <remarks>
/// Memory ordering: a block belongs to user space once its <c>block_status</c> has
/// TP_STATUS_USER, read with <see cref="Volatile.Read(ref readonly uint)"/> (acquire) before
/// any of its frames; it goes back with <see cref="Volatile.Write(ref uint, uint)"/> (release)
/// after the last frame was copied, so the kernel never refills a block we still read.
/// </remarks>
[Stage("af_packet_rx", "Receives frames from a Linux interface through a TPACKET_V3 mmap ring.")]
public sealed unsafe class AfPacketRx : SourceStage<AfPacketRx.Output, AfPacketRx.Reason>, IDisposable
{
    private const long StatisticsIntervalNs = 100_000_000;

    private readonly PacketSocket _socket;
    private readonly PacketPool _pool;
    private readonly byte* _ring;
    private readonly int _blockSize;
    private readonly int _blockCount;
    private readonly int _maxData;
    private readonly bool _restoreVlan;
    private readonly ushort _inputPort;
    private int _blockIndex;
    private TpacketBlockDescriptor* _block;
    private uint _packetsLeft;
    private byte* _next;
    private long _received;
    private long _poolEmptyPolls;
    private long _lastStatisticsNs;
    // Written by the worker (Tick, OnStop) and read by any thread through Statistics.
    private long _kernelPackets;
    private long _kernelDrops;
    private long _freezes;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "received frames")]
        Out,
    }

    public enum Reason : byte
    {
        [DropReason("the kernel's receive ring was full", Severity.Warning)]
        KernelDrop,
        [DropReason("the frame is longer than a pool frame", Severity.Warning)]
        TooBig,
        [DropReason("the frame is shorter than two MAC addresses", Severity.Warning)]
        Runt,
    }

    public AfPacketRx(AfPacketOptions options)
    {
        Validate(options);
        Interface = options.Interface;
        int ifindex = InterfaceIndex.Of(options.Interface);
        _blockSize = options.BlockSize;
        _blockCount = options.BlockCount;
        _restoreVlan = options.RestoreVlan;
        _inputPort = options.InputPort ?? 0;
        _socket = PacketSocket.Open();
        try
        {
            _socket.SetInt(Interop.Sys.PACKET_VERSION, Interop.Sys.TPACKET_V3, "setsockopt(PACKET_VERSION, TPACKET_V3)");
            if (options.IgnoreOutgoing)
            {
                _socket.SetInt(Interop.Sys.PACKET_IGNORE_OUTGOING, 1, "setsockopt(PACKET_IGNORE_OUTGOING)");
            }
            // Zeroed explicitly: the request goes to the kernel (feature_req_word, sizeof_priv = 0).
            TpacketRequest3 request = default;
            request.BlockSize = (uint)_blockSize;
            request.BlockCount = (uint)_blockCount;
            request.FrameSize = 2048;
            request.FrameCount = (uint)((long)_blockSize * _blockCount / 2048);
            request.RetireBlockTimeoutMs = (uint)options.BlockTimeoutMs;
            _socket.Set(Interop.Sys.PACKET_RX_RING, request, TpacketRequest3.Size, "setsockopt(PACKET_RX_RING)");
            _socket.MapRing((nuint)_blockSize * (nuint)_blockCount);
            _ring = _socket.Ring;
            // Bound after the ring exists, so no frame is queued outside it.
            _socket.Bind(ifindex, Interop.Sys.ETH_P_ALL);
            if (options.Promiscuous)
            {
                PacketMembershipRequest membership = default;
                membership.InterfaceIndex = ifindex;
                membership.Type = Interop.Sys.PACKET_MR_PROMISC;
                _socket.Set(Interop.Sys.PACKET_ADD_MEMBERSHIP, membership, PacketMembershipRequest.Size, "setsockopt(PACKET_ADD_MEMBERSHIP, PROMISC)");
            }
            if (options.FanoutGroup >= 0)
            {
                // A fanout group receives through its own hook, which PACKET_IGNORE_OUTGOING does not
                // reach: without the group's flag every frame a graph sends on the interface comes
                // back in (a switch floods its own floods forever).
                int type = (int)options.FanoutMode | (options.IgnoreOutgoing ? Interop.Sys.PACKET_FANOUT_FLAG_IGNORE_OUTGOING : 0);
                _socket.SetInt(Interop.Sys.PACKET_FANOUT, options.FanoutGroup | (type << 16),
                    $"setsockopt(PACKET_FANOUT, group {options.FanoutGroup}, {options.FanoutMode}{(options.IgnoreOutgoing ? ", ignoring outgoing frames (Linux 6.5 or later)" : "")})");
            }
            _pool = PacketPool.Create(options.PoolFrames, name: $"af_packet_rx {options.Interface}");
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        _maxData = _pool.FrameSize - _pool.DataOffset;
    }

    public string Interface { get; }

    public PacketPool Pool => _pool;

    /// <summary>The socket fd: readable when a block is ready (for the event idle policy).</summary>
    public override int WakeupFd => _socket.Fd;

    /// <summary>Frames handed on.</summary>
    public long Received => Volatile.Read(ref _received);

    /// <summary>Polls that found frames but no free pool frame (the frames wait in the ring).</summary>
    public long PoolEmptyPolls => Volatile.Read(ref _poolEmptyPolls);

    /// <summary>Kernel counters as of the last read (every 100 ms on the worker, and at stop).</summary>
    public AfPacketStatistics Statistics =>
        new(Volatile.Read(ref _kernelPackets), Volatile.Read(ref _kernelDrops), Volatile.Read(ref _freezes));

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        if (_packetsLeft == 0 && !TryOpenBlock())
        {
            return 0;
        }
        // Only as many frames as the open block still holds: a poll never allocates frames it
        // would free again unused, and the next block is opened by the next poll.
        int allocated = _pool.AllocateBulk(packets.Slice(0, (int)Math.Min((uint)packets.Length, _packetsLeft)));
        if (allocated == 0)
        {
            Volatile.Write(ref _poolEmptyPolls, _poolEmptyPolls + 1);
            return 0;
        }
        int n = 0;
        int tooBig = 0;
        int runts = 0;
        int maxData = _maxData;
        while (n < allocated)
        {
            Tpacket3Header* header = (Tpacket3Header*)_next;
            uint status = header->Status;
            int snap = (int)header->SnapLength;
            byte* source = _next + header->Mac;
            bool tagged = (status & TpacketStatus.VlanValid) != 0;
            bool restore = tagged & _restoreVlan;
            int length = restore ? snap + 4 : snap;
            if (length > maxData)
            {
                tooBig++;
            }
            else if (snap < 12)
            {
                runts++;
            }
            else
            {
                Packet packet = packets[n];
                ref PacketMeta meta = ref packet.Meta;
                byte* destination = packet.DataPointer;
                meta.Length = (ushort)length;
                meta.InputPort = _inputPort;
                meta.Flags = PacketFlags.L2Valid;
                meta.Hash = header->RxHash;
                meta.Timestamp = header->Seconds * 1_000_000_000L + header->Nanoseconds;
                if (restore)
                {
                    ushort tpid = (status & TpacketStatus.VlanTpidValid) != 0 ? header->VlanTpid : (ushort)0x8100;
                    CopyWithTag(destination, source, snap, tpid, (ushort)header->VlanTci);
                }
                else
                {
                    Unsafe.CopyBlockUnaligned(destination, source, (uint)snap);
                    if (tagged)
                    {
                        meta.VlanTci = (ushort)header->VlanTci;
                        meta.Flags = PacketFlags.L2Valid | PacketFlags.VlanStripped;
                    }
                }
                nexts[n] = To(Output.Out);
                n++;
            }
            if (--_packetsLeft == 0)
            {
                ReleaseBlock();
                break;
            }
            _next += header->NextOffset;
        }
        if (n < allocated)
        {
            _pool.FreeBulk(packets.Slice(n, allocated - n));
        }
        if ((tooBig | runts) != 0)
        {
            CountDrop(Reason.TooBig, tooBig);
            CountDrop(Reason.Runt, runts);
        }
        Volatile.Write(ref _received, _received + n);
        return n;
    }

    /// <summary>MACs, then the tag (TPID, TCI in network order), then the rest: the frame as it was on the wire.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyWithTag(byte* destination, byte* source, int length, ushort tpid, ushort tci)
    {
        Unsafe.CopyBlockUnaligned(destination, source, 12);
        Unsafe.WriteUnaligned(destination + 12, System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(tpid));
        Unsafe.WriteUnaligned(destination + 14, System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(tci));
        Unsafe.CopyBlockUnaligned(destination + 16, source + 12, (uint)(length - 12));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryOpenBlock()
    {
        TpacketBlockDescriptor* block = (TpacketBlockDescriptor*)(_ring + (nint)_blockIndex * _blockSize);
        // Acquire: the frames of the block are read only after the kernel published it.
        if ((Volatile.Read(ref block->BlockStatus) & TpacketStatus.User) == 0)
        {
            return false;
        }
        _block = block;
        _packetsLeft = block->PacketCount;
        _next = (byte*)block + block->OffsetToFirstPacket;
        if (_packetsLeft == 0)
        {
            ReleaseBlock();
            return false;
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ReleaseBlock()
    {
        // Release: every copy out of the block is done before the kernel may refill it.
        Volatile.Write(ref _block->BlockStatus, TpacketStatus.Kernel);
        _block = null;
        int next = _blockIndex + 1;
        _blockIndex = next == _blockCount ? 0 : next;
    }

    public override void Tick(long nowNanoseconds)
    {
        if (nowNanoseconds - _lastStatisticsNs >= StatisticsIntervalNs)
        {
            _lastStatisticsNs = nowNanoseconds;
            ReadStatistics();
        }
    }

    public override void OnStop() => ReadStatistics();

    /// <summary>getsockopt(PACKET_STATISTICS) resets the kernel counters, so they are added up here (worker thread only).</summary>
    private void ReadStatistics()
    {
        TpacketStatsV3 stats = default;
        uint length = TpacketStatsV3.Size;
        if (Interop.Sys.GetSockOpt(_socket.Fd, Interop.Sys.SOL_PACKET, Interop.Sys.PACKET_STATISTICS, &stats, &length) != 0)
        {
            return;
        }
        Volatile.Write(ref _kernelPackets, _kernelPackets + stats.Packets);
        Volatile.Write(ref _kernelDrops, _kernelDrops + stats.Drops);
        Volatile.Write(ref _freezes, _freezes + stats.FreezeQueueCount);
        if (stats.Drops != 0)
        {
            CountDrop(Reason.KernelDrop, (int)stats.Drops);
        }
    }

    private static void Validate(AfPacketOptions options)
    {
        if (options.BlockSize < 4096 || (options.BlockSize & (options.BlockSize - 1)) != 0)
        {
            ThrowHelper.ThrowArgument(nameof(options), $"BlockSize {options.BlockSize} must be a power of two of at least 4096");
        }
        if (options.BlockCount < 1)
        {
            ThrowHelper.ThrowArgument(nameof(options), $"BlockCount {options.BlockCount} must be at least 1");
        }
        if (options.FanoutGroup > 0xFFFF)
        {
            ThrowHelper.ThrowArgument(nameof(options), $"FanoutGroup {options.FanoutGroup} must be -1 or 0..65535");
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _pool.Dispose();
    }
}
