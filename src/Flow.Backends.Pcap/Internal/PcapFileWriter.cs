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
/// <para>
/// An I/O error is never thrown into the data path. A failed write (disk full) counts the
/// buffered records in <see cref="LostRecords"/> and writing goes on with the next buffer. A
/// failed rotation (directory removed, not writable, no fds left) leaves the writer without a
/// file: every record is counted as lost until <see cref="Tick"/> manages to open the next file,
/// which it retries once per flush interval. <see cref="LastError"/> says what went wrong. Only
/// the first open, in the constructor, throws: a graph whose output cannot be created at all
/// should not start.
/// </para>
/// <para>
/// Files are opened without following a symbolic link and a regular file with more than one
/// hard link is refused: as root, in a directory others can write to, either would let them
/// point Flow at a file it then truncates. Rotated files are removed and created anew with
/// O_EXCL, so a link planted under a predictable rotated name is never written through.
/// </para>
/// </remarks>
internal sealed unsafe class PcapFileWriter : IDisposable
{
    /// <summary>Smallest rotation size: a file holds at least a header and a few records.</summary>
    public const long MinRotateBytes = 4096;

    private readonly string _basePath;
    private readonly uint _snapLength;
    private readonly long _rotateBytes;
    private readonly bool _nanoseconds;
    private readonly int _bufferBytes;
    private readonly long _flushIntervalNs;
    private readonly List<string> _files = [];
    private byte* _buffer;
    private SafeFileHandle? _file;
    private long _fileOffset;
    private long _fileBytes;
    private int _buffered;
    private int _bufferedRecords;
    private long _lastFlushNs;
    private long _lastOpenAttemptNs;
    private long _records;
    private long _lostRecords;
    private long _reportedLostRecords;
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
        try
        {
            OpenNext();
        }
        catch
        {
            NativeMemory.Free(_buffer);
            _buffer = null;
            throw;
        }
    }

    /// <summary>Files written so far, in order (the first is <see cref="PcapOptions.Path"/>).</summary>
    public IReadOnlyList<string> Files => _files;

    /// <summary>Records accepted (buffered or written).</summary>
    public long Records => Volatile.Read(ref _records);

    /// <summary>Records lost to open and write errors.</summary>
    public long LostRecords => Volatile.Read(ref _lostRecords);

    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>Appends one record; <paramref name="timestampNs"/> is wall-clock nanoseconds since the Unix epoch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Append(byte* data, int length, long timestampNs)
    {
        uint captured = Math.Min((uint)length, _snapLength);
        int recordBytes = PcapRecordHeader.Size + (int)captured;
        if (_rotateBytes != 0 && _fileBytes + recordBytes > _rotateBytes && _fileBytes > PcapFileHeader.Size && _file is not null)
        {
            Rotate();
        }
        if (_file is null)
        {
            LoseOne();
            return;
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

    /// <summary>
    /// Lost records not yet handed to the stage's counters, and marks them handed: the stage
    /// turns them into drops once per batch or tick.
    /// </summary>
    public int TakeUnreportedLost()
    {
        long lost = _lostRecords;
        int unreported = (int)Math.Min(lost - _reportedLostRecords, int.MaxValue);
        _reportedLostRecords += unreported;
        return unreported;
    }

    /// <summary>
    /// The stage's timer: retries opening the next file after a failed rotation (at most once
    /// per flush interval), and writes the buffer when it has waited longer than the interval.
    /// </summary>
    public void Tick(long nowNs)
    {
        if (_file is null)
        {
            if (nowNs - _lastOpenAttemptNs >= _flushIntervalNs)
            {
                _lastOpenAttemptNs = nowNs;
                TryOpenNext();
            }
            return;
        }
        if (_buffered != 0 && nowNs - _lastFlushNs >= _flushIntervalNs)
        {
            Flush();
            _lastFlushNs = nowNs;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Flush()
    {
        // Append buffers nothing while there is no file, so there is never anything to lose here.
        Debug.Assert(_file is not null || _buffered == 0, "records buffered without a file to write them to");
        if (_buffered == 0 || _file is null)
        {
            return;
        }
        try
        {
            RandomAccess.Write(_file, new ReadOnlySpan<byte>(_buffer, _buffered), _fileOffset);
            _fileOffset += _buffered;
            _buffered = 0;
            _bufferedRecords = 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Lose($"writing '{_files[^1]}' failed: {e.Message}");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LoseOne() => Volatile.Write(ref _lostRecords, _lostRecords + 1);

    /// <summary>Drops what is buffered, counting its records as lost.</summary>
    private void Lose(string error)
    {
        Volatile.Write(ref _lostRecords, _lostRecords + _bufferedRecords);
        Volatile.Write(ref _lastError, error);
        _buffered = 0;
        _bufferedRecords = 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Rotate()
    {
        Debug.Assert(_rotateBytes != 0 && _file is not null, "rotation without a size limit or an open file");
        Flush();
        _file.Dispose();
        _file = null;
        TryOpenNext();
    }

    private void TryOpenNext()
    {
        try
        {
            OpenNext();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Volatile.Write(ref _lastError, e.Message);
        }
    }

    private void OpenNext()
    {
        Debug.Assert(_file is null && _buffered == 0, "opening over an open file or unwritten records");
        bool rotated = _files.Count != 0;
        string path = rotated
            ? Path.Combine(Path.GetDirectoryName(_basePath) ?? "",
                $"{Path.GetFileNameWithoutExtension(_basePath)}-{_files.Count}{Path.GetExtension(_basePath)}")
            : _basePath;
        _file = OpenOutput(path, exclusive: rotated);
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

    /// <summary>
    /// Opens <paramref name="path"/> for writing from offset 0, never through a symbolic link
    /// (O_NOFOLLOW) and never truncating a regular file that has another name too. With
    /// <paramref name="exclusive"/> (rotated files) whatever has the name is removed first and
    /// the file is created with O_EXCL, so only a file this call made is written.
    /// </summary>
    private static SafeFileHandle OpenOutput(string path, bool exclusive)
    {
        int flags = Interop.Sys.O_WRONLY | Interop.Sys.O_CREAT | Interop.Sys.O_CLOEXEC | Interop.Sys.O_NOFOLLOW;
        if (exclusive)
        {
            // unlink removes a symbolic link itself, never its target.
            if (Interop.Sys.Unlink(path) != 0 && Marshal.GetLastPInvokeError() is int unlinkErrno and not Interop.Errno.ENOENT)
            {
                throw new IOException($"removing the old '{path}' before rotating into it failed: {Marshal.GetPInvokeErrorMessage(unlinkErrno)} (errno {unlinkErrno})");
            }
            flags |= Interop.Sys.O_EXCL;
        }
        // 0666 before the umask, as File.Create would.
        int fd = Interop.Sys.Open(path, flags, 0x1B6);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException(errno == Interop.Errno.ELOOP
                ? $"'{path}' is a symbolic link; pcap output is never written through one (it could point at any file). Remove it or choose another path."
                : $"opening '{path}' for writing failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if (!Interop.Sys.TryStat(handle, Interop.Sys.STATX_TYPE | Interop.Sys.STATX_NLINK, out Interop.Sys.Statx status))
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new IOException($"statx of '{path}' failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
            }
            // Devices and pipes (/dev/null) are written as they are; only regular files are truncated.
            if ((status.Mode & Interop.Sys.S_IFMT) == Interop.Sys.S_IFREG)
            {
                if (status.LinkCount > 1)
                {
                    throw new IOException($"'{path}' has {status.LinkCount} hard links; pcap output never truncates a file that has other names. Remove it or choose another path.");
                }
                if (Interop.Sys.Ftruncate(handle, 0) != 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    throw new IOException($"truncating '{path}' failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
                }
            }
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_buffer == null)
        {
            return;
        }
        if (_file is not null)
        {
            Flush();
            _file.Dispose();
            _file = null;
        }
        NativeMemory.Free(_buffer);
        _buffer = null;
    }
}
