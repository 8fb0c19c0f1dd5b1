using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Flow.Backends.Pcap;

/// <summary>
/// Appends packets to a pcap file through a native buffer: one write(2) per
/// <see cref="PcapOptions.BufferBytes"/>, not per packet. Rotates to a new file by size (a
/// record larger than the limit still goes into a file of its own, as tcpdump -C does).
/// Owned by one worker (the stage's); <see cref="Flush"/> and <see cref="Dispose"/> run there
/// or after the graph stopped.
/// </summary>
/// <remarks>
/// An I/O error (disk full) is not thrown into the data path: the buffered records are counted
/// in <see cref="LostRecords"/>, the message kept in <see cref="LastError"/>, and writing goes on
/// with the next buffer.
/// </remarks>
internal sealed unsafe class PcapFileWriter : IDisposable
{
    /// <summary>Smallest rotation size: a file holds at least a header and a few records.</summary>
    public const long MinRotateBytes = 4096;

    private readonly string _basePath;
    private readonly uint _snapLength;
    private readonly long _rotateBytes;
    private readonly bool _nanoseconds;
    private readonly byte* _buffer;
    private readonly int _bufferBytes;
    private readonly long _flushIntervalNs;
    private readonly List<string> _files = [];
    private SafeFileHandle? _file;
    private long _fileOffset;
    private long _fileBytes;
    private int _buffered;
    private int _bufferedRecords;
    private long _lastFlushNs;
    private long _records;
    private long _lostRecords;
    private string? _lastError;

    public PcapFileWriter(PcapOptions options)
    {
        if (string.IsNullOrEmpty(options.Path))
        {
            ThrowHelper.ThrowArgument(nameof(options), "pcap options need a Path");
        }
        if (options.SnapLength is < 1 or > (int)PcapRecordHeader.MaxCapturedLength)
        {
            ThrowHelper.ThrowArgument(nameof(options), $"SnapLength {options.SnapLength} must be 1..{PcapRecordHeader.MaxCapturedLength}");
        }
        if (options.RotateBytes is not 0 and < MinRotateBytes)
        {
            ThrowHelper.ThrowArgument(nameof(options), $"RotateBytes {options.RotateBytes} must be 0 (no rotation) or at least {MinRotateBytes}");
        }
        _basePath = options.Path;
        _snapLength = (uint)options.SnapLength;
        _rotateBytes = options.RotateBytes;
        _nanoseconds = options.Nanoseconds;
        _bufferBytes = Math.Max(options.BufferBytes, PcapRecordHeader.Size + options.SnapLength);
        _flushIntervalNs = options.FlushIntervalMs * 1_000_000L;
        _buffer = (byte*)NativeMemory.Alloc((nuint)_bufferBytes);
        OpenNext();
    }

    /// <summary>Files written so far, in order (the first is <see cref="PcapOptions.Path"/>).</summary>
    public IReadOnlyList<string> Files => _files;

    /// <summary>Records accepted (buffered or written).</summary>
    public long Records => Volatile.Read(ref _records);

    /// <summary>Records lost to write errors.</summary>
    public long LostRecords => Volatile.Read(ref _lostRecords);

    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>Appends one record; <paramref name="timestampNs"/> is wall-clock nanoseconds since the Unix epoch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Append(byte* data, int length, long timestampNs)
    {
        uint captured = Math.Min((uint)length, _snapLength);
        int recordBytes = PcapRecordHeader.Size + (int)captured;
        if (_rotateBytes != 0 && _fileBytes + recordBytes > _rotateBytes && _fileBytes > PcapFileHeader.Size)
        {
            Rotate();
        }
        if (_buffered + recordBytes > _bufferBytes)
        {
            Flush();
        }
        PcapRecordHeader* header = (PcapRecordHeader*)(_buffer + _buffered);
        ulong seconds = (ulong)timestampNs / 1_000_000_000UL;
        uint nanoseconds = (uint)((ulong)timestampNs % 1_000_000_000UL);
        header->Seconds = (uint)seconds;
        header->Fraction = _nanoseconds ? nanoseconds : nanoseconds / 1000;
        header->CapturedLength = captured;
        header->OriginalLength = (uint)length;
        Unsafe.CopyBlockUnaligned(_buffer + _buffered + PcapRecordHeader.Size, data, captured);
        _buffered += recordBytes;
        _bufferedRecords++;
        _fileBytes += recordBytes;
        Volatile.Write(ref _records, _records + 1);
    }

    /// <summary>Writes the buffer when it has waited longer than the flush interval (called from the stage's Tick).</summary>
    public void FlushIfDue(long nowNs)
    {
        if (_buffered != 0 && nowNs - _lastFlushNs >= _flushIntervalNs)
        {
            Flush();
            _lastFlushNs = nowNs;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Flush()
    {
        if (_buffered == 0 || _file is null)
        {
            return;
        }
        try
        {
            RandomAccess.Write(_file, new ReadOnlySpan<byte>(_buffer, _buffered), _fileOffset);
            _fileOffset += _buffered;
        }
        catch (IOException e)
        {
            Volatile.Write(ref _lostRecords, _lostRecords + _bufferedRecords);
            Volatile.Write(ref _lastError, $"writing '{_files[^1]}' failed: {e.Message}");
        }
        _buffered = 0;
        _bufferedRecords = 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Rotate()
    {
        Debug.Assert(_rotateBytes != 0, "rotation without a size limit");
        Flush();
        _file?.Dispose();
        _file = null;
        OpenNext();
    }

    private void OpenNext()
    {
        string path = _files.Count == 0
            ? _basePath
            : Path.Combine(Path.GetDirectoryName(_basePath) ?? "",
                $"{Path.GetFileNameWithoutExtension(_basePath)}-{_files.Count}{Path.GetExtension(_basePath)}");
        _file = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        _files.Add(path);
        _fileOffset = 0;
        // Zeroed explicitly: the header goes to disk and must not carry stale buffer bytes.
        PcapFileHeader* header = (PcapFileHeader*)_buffer;
        *header = default;
        header->Magic = _nanoseconds ? PcapFileHeader.MagicNanoseconds : PcapFileHeader.MagicMicroseconds;
        header->VersionMajor = 2;
        header->VersionMinor = 4;
        header->SnapLength = _snapLength;
        header->LinkType = PcapFileHeader.LinkTypeEthernet;
        _buffered = PcapFileHeader.Size;
        _bufferedRecords = 0;
        _fileBytes = PcapFileHeader.Size;
        Flush();
    }

    public void Dispose()
    {
        if (_file is null)
        {
            return;
        }
        Flush();
        _file.Dispose();
        _file = null;
        NativeMemory.Free(_buffer);
    }
}
