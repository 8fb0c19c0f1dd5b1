using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;

namespace Flow.Backends.Pcap;

/// <summary>
/// Replays a classic pcap file (microsecond or nanosecond magic, either byte order, Ethernet
/// link type) as fast as possible, at the recorded pace or at a given rate, once or looped.
/// Output <c>out</c>: the recorded frames, with <see cref="PacketMeta.Timestamp"/> set to the
/// recorded time (nanoseconds since the Unix epoch, shifted by whole replays when looping).
/// Drop reasons: <c>truncated</c> (the file ends inside a record, or shrank under the replay;
/// replay stops there),
/// <c>bad_length</c> (a record claims more than 262144 bytes or more than it is on the wire;
/// nothing after it can be trusted, replay stops), <c>too_big</c> (record longer than a pool
/// frame; skipped), <c>bad_timestamp</c> (at the recorded pace, a record more than a
/// day after the one before it; replay stops there). An empty pool is no drop: the replay
/// waits, and the pool counts the refusals in <see cref="PacketPool.AllocationFailures"/>.
/// </summary>
/// <remarks>
/// The file is memory-mapped and parsed in place: one copy per packet, from the page cache
/// into the frame. A file that is not pcap (bad magic, header cut short, not Ethernet) is
/// refused when the stage is made, with a <see cref="PcapFormatException"/> naming the file.
/// A problem inside the file never throws: it is a counted drop plus <see cref="Problem"/>.
/// <para>
/// Reading a mapped page that a truncate removed raises SIGBUS, which kills the process. So
/// the replay never reads past the mapping's own length, and every poll first asks the kernel
/// for the file's current size (one statx per burst) and reads no further than that: a file
/// truncated under the replay (a capture rotated or rewritten in place) ends it with a
/// <c>truncated</c> drop and a <see cref="Problem"/>. A truncate that lands inside the few
/// microseconds between that check and the copies of the same poll is not covered; only
/// reading with pread into a buffer (a second copy per packet) would close that window.
/// </para>
/// <para>
/// At the recorded pace a record more than <see cref="MaxRecordedGapNs"/> (scaled by
/// <see cref="PcapOptions.Speed"/>) after the one before it is taken for a corrupt timestamp:
/// the replay stops with a <c>bad_timestamp</c> drop and a <see cref="Problem"/> instead of
/// waiting for it.
/// </para>
/// </remarks>
[Stage("pcap_rx", "Replays a pcap file: fastest, recorded pace or fixed rate; once or looped.")]
public sealed unsafe class PcapRx : SourceStage<PcapRx.Output, PcapRx.Reason>, IDisposable
{
    private readonly string _path;
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly SafeFileHandle _handle;
    private readonly byte* _file;
    private readonly long _mappedLength;
    private readonly bool _swapped;
    private readonly bool _nanoseconds;
    private readonly PacketPool _pool;
    private readonly PcapPace _pace;
    private readonly double _speed;
    private readonly long _ratePps;
    private readonly int _loops;
    private readonly ushort _inputPort;
    private readonly int _maxData;
    private long _offset = PcapFileHeader.Size;
    private long _sent;
    private int _loop;
    private long _sentAtLoopStart;
    private long _firstTimestampNs = -1;
    private long _lastTimestampNs;
    private long _loopShiftNs;
    private long _startTicks;
    private int _done;
    private string? _problem;
    private int _released;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "frames read from the file")]
        Out,
    }

    public enum Reason : byte
    {
        [DropReason("the file ends inside a record", Severity.Error)]
        Truncated,
        [DropReason("a record claims an impossible length", Severity.Error)]
        BadLength,
        [DropReason("a record is longer than a pool frame", Severity.Warning)]
        TooBig,
        [DropReason("a record's timestamp lies implausibly far after the one before it", Severity.Error)]
        BadTimestamp,
    }

    /// <summary>
    /// Longest wait between two records a recorded-pace replay accepts: a day. Real captures
    /// have quiet nights, but not a gap of years, which is what a corrupt or far-future
    /// timestamp looks like.
    /// </summary>
    public const long MaxRecordedGapNs = 86_400L * 1_000_000_000L;

    public PcapRx(PcapOptions options)
    {
        _path = options.Path;
        if (string.IsNullOrEmpty(_path))
        {
            ThrowHelper.ThrowArgument(nameof(options), "pcap_rx needs a Path");
        }
        if (options.Pace == PcapPace.Rate && options.RatePps <= 0)
        {
            ThrowHelper.ThrowArgument(nameof(options), "Pace Rate needs RatePps > 0");
        }
        if (options.Pace == PcapPace.Recorded && !(options.Speed > 0))
        {
            ThrowHelper.ThrowArgument(nameof(options), "Pace Recorded needs Speed > 0");
        }
        if (options.Loops < 0)
        {
            ThrowHelper.ThrowArgument(nameof(options), "Loops must be 0 (forever) or more");
        }
        if (!File.Exists(_path))
        {
            ThrowHelper.ThrowFormat(_path, "file not found");
        }
        // The handle stays open for the size checks in Poll; the mapping has its own reference.
        var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        _handle = stream.SafeFileHandle;
        if (stream.Length < PcapFileHeader.Size)
        {
            long length = stream.Length;
            stream.Dispose();
            ThrowHelper.ThrowFormat(_path, $"{length} bytes is shorter than the 24-byte pcap file header");
        }
        try
        {
            _map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        }
        catch
        {
            _map?.Dispose();
            stream.Dispose();
            throw;
        }
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _file = pointer + _view.PointerOffset;
        try
        {
            // What was mapped, not a length read before the mapping: the file may have shrunk in between.
            _mappedLength = _view.Capacity;
            if (CurrentEnd() < PcapFileHeader.Size)
            {
                ThrowHelper.ThrowFormat(_path, $"{CurrentEnd()} bytes is shorter than the 24-byte pcap file header");
            }
            PcapFileHeader header = *(PcapFileHeader*)_file;
            switch (header.Magic)
            {
                case PcapFileHeader.MagicMicroseconds:
                    break;
                case PcapFileHeader.MagicNanoseconds:
                    _nanoseconds = true;
                    break;
                case 0xD4C3B2A1:
                    _swapped = true;
                    break;
                case 0x4D3CB2A1:
                    _swapped = true;
                    _nanoseconds = true;
                    break;
                case 0x0A0D0D0A:
                    ThrowHelper.ThrowFormat(_path, "this is a pcapng file; only classic pcap is supported (convert with 'editcap -F pcap')");
                    break;
                default:
                    ThrowHelper.ThrowFormat(_path, $"not a pcap file: magic 0x{header.Magic:x8} is none of a1b2c3d4, a1b23c4d or their byte swaps");
                    break;
            }
            uint linkType = Read(header.LinkType) & 0x0FFF_FFFF;
            if (linkType != PcapFileHeader.LinkTypeEthernet)
            {
                ThrowHelper.ThrowFormat(_path, $"link type {linkType} is not Ethernet (1)");
            }
            ushort major = _swapped ? BinaryPrimitives.ReverseEndianness(header.VersionMajor) : header.VersionMajor;
            if (major != 2)
            {
                ThrowHelper.ThrowFormat(_path, $"pcap version {major} is not 2");
            }
        }
        catch
        {
            ReleaseMap();
            throw;
        }
        _pool = PacketPool.Create(options.PoolFrames, options.FrameSize, name: "pcap_rx");
        _maxData = _pool.FrameSize - _pool.DataOffset;
        _pace = options.Pace;
        _speed = options.Speed;
        _ratePps = options.RatePps;
        _loops = options.Loops;
        _inputPort = options.InputPort ?? 0;
    }

    /// <summary>Packets handed on so far.</summary>
    public long Sent => Volatile.Read(ref _sent);

    /// <summary>What stopped the replay early (a truncated or corrupt record), or null.</summary>
    public string? Problem => Volatile.Read(ref _problem);

    public PacketPool Pool => _pool;

    public override bool IsExhausted => Volatile.Read(ref _done) != 0;

    public override void OnStart() => _startTicks = Stopwatch.GetTimestamp();

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        if (_done != 0)
        {
            return 0;
        }
        int want = packets.Length;
        long elapsedNs = 0;
        if (_pace != PcapPace.Fastest)
        {
            elapsedNs = (long)((Stopwatch.GetTimestamp() - _startTicks) * (1_000_000_000.0 / Stopwatch.Frequency));
            if (_pace == PcapPace.Rate)
            {
                long due = (long)(elapsedNs / 1e9 * _ratePps) + 1 - _sent;
                want = (int)Math.Clamp(due, 0, want);
            }
        }
        if (want == 0)
        {
            return 0;
        }
        int allocated = _pool.AllocateBulk(packets.Slice(0, want));
        if (allocated == 0)
        {
            // Not a drop: the record stays in the file and is read once a frame comes back. The
            // pool counts the refusal (AllocationFailures); a drop here would count phantom packets.
            return 0;
        }
        int n = 0;
        long offset = _offset;
        byte* file = _file;
        long end = CurrentEnd();
        while (n < allocated)
        {
            if (offset >= end)
            {
                if (offset > end)
                {
                    Stop(Reason.Truncated, $"the file shrank to {end} bytes under the replay, before record {Sent + n} at offset {offset}");
                    break;
                }
                if (!NextLoop())
                {
                    break;
                }
                offset = _offset;
                continue;
            }
            if (end - offset < PcapRecordHeader.Size)
            {
                Stop(Reason.Truncated, $"record {Sent + n} at offset {offset}: {end - offset} bytes left, a record header needs 16");
                break;
            }
            PcapRecordHeader* header = (PcapRecordHeader*)(file + offset);
            uint captured = Read(header->CapturedLength);
            uint original = Read(header->OriginalLength);
            if (captured > PcapRecordHeader.MaxCapturedLength || captured > original)
            {
                Stop(Reason.BadLength, $"record {Sent + n} at offset {offset}: captured length {captured}, original length {original}");
                break;
            }
            if (captured > end - offset - PcapRecordHeader.Size)
            {
                Stop(Reason.Truncated, $"record {Sent + n} at offset {offset}: claims {captured} bytes, the file has {end - offset - PcapRecordHeader.Size} left");
                break;
            }
            long timestampNs = Read(header->Seconds) * 1_000_000_000L + (_nanoseconds ? Read(header->Fraction) : Read(header->Fraction) * 1000L);
            if (_firstTimestampNs < 0)
            {
                _firstTimestampNs = timestampNs;
            }
            if (_pace == PcapPace.Recorded &&
                (timestampNs - _firstTimestampNs + _loopShiftNs) > elapsedNs * _speed)
            {
                // Not due yet: read again on a later poll, unless the wait is one no capture
                // explains (the first record of a pass has no record before it to compare with).
                if (_sent + n > _sentAtLoopStart && (timestampNs - _lastTimestampNs) / _speed > MaxRecordedGapNs)
                {
                    Stop(Reason.BadTimestamp, $"record {Sent + n} at offset {offset}: its timestamp is {(timestampNs - _lastTimestampNs) / 1e9:F0} s after the one before it; a recorded-pace replay would wait that long");
                }
                break;
            }
            long recordEnd = offset + PcapRecordHeader.Size + captured;
            if (captured > (uint)_maxData)
            {
                CountDrop(Reason.TooBig);
                offset = recordEnd;
                _offset = offset;
                continue;
            }
            Packet packet = packets[n];
            ref PacketMeta meta = ref packet.Meta;
            meta.Length = (ushort)captured;
            meta.InputPort = _inputPort;
            meta.Flags = PacketFlags.L2Valid;
            meta.Timestamp = timestampNs + _loopShiftNs;
            Unsafe.CopyBlockUnaligned(packet.DataPointer, file + offset + PcapRecordHeader.Size, captured);
            nexts[n] = To(Output.Out);
            _lastTimestampNs = timestampNs;
            n++;
            offset = recordEnd;
            _offset = offset;
        }
        if (n < allocated)
        {
            _pool.FreeBulk(packets.Slice(n, allocated - n));
        }
        Volatile.Write(ref _sent, _sent + n);
        return n;
    }

    /// <summary>Rewinds for the next replay; false when the last one is done (or a whole pass produced nothing).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool NextLoop()
    {
        _loop++;
        long sent = _sent;
        bool progress = sent > _sentAtLoopStart;
        if ((_loops != 0 && _loop >= _loops) || !progress)
        {
            Volatile.Write(ref _done, 1);
            return false;
        }
        _sentAtLoopStart = sent;
        // The next pass starts one average gap after this one ended, so the recorded pace holds across the seam.
        long span = _lastTimestampNs - _firstTimestampNs;
        long packetsInPass = Math.Max(1, sent / _loop);
        _loopShiftNs += span + span / packetsInPass;
        _offset = PcapFileHeader.Size;
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Stop(Reason reason, string problem)
    {
        CountDrop(reason);
        Volatile.Write(ref _problem, $"'{_path}': {problem}");
        Volatile.Write(ref _done, 1);
    }

    /// <summary>
    /// How far the file can be read without SIGBUS: the mapped length, or less when the file
    /// has since been truncated (0 when its size cannot be read, which stops the replay).
    /// </summary>
    private long CurrentEnd() =>
        Interop.Sys.TryStat(_handle, Interop.Sys.STATX_SIZE, out Interop.Sys.Statx status) ? Math.Min(_mappedLength, (long)status.Size) : 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Read(uint value) => _swapped ? BinaryPrimitives.ReverseEndianness(value) : value;

    private void ReleaseMap()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }
        _view?.SafeMemoryMappedViewHandle.ReleasePointer();
        _view?.Dispose();
        _map?.Dispose(); // closes _handle too (the map owns the stream)
    }

    public void Dispose()
    {
        ReleaseMap();
        _pool.Dispose();
    }
}
