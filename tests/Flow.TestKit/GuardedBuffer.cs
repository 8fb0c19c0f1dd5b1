using System.Runtime.InteropServices;

namespace Flow.TestKit;

/// <summary>
/// Native memory whose usable part ends against a PROT_NONE page (STYLE D7 "guarded
/// frames"): bytes placed with <see cref="Place"/> end exactly at the guard, so a parser
/// that reads even one byte past the buffer faults and takes the test host down — a loud
/// failure instead of a silent over-read.
/// </summary>
public sealed unsafe class GuardedBuffer : IDisposable
{
    private readonly byte* _base;
    private readonly nuint _mapped;
    private readonly int _capacity;

    public GuardedBuffer(int capacity = 16384)
    {
        nuint page = (nuint)Environment.SystemPageSize;
        nuint usable = ((nuint)capacity + page - 1) / page * page;
        _mapped = usable + page;
        _base = (byte*)Interop.Sys.MMap(null, _mapped, Interop.Sys.PROT_READ | Interop.Sys.PROT_WRITE, Interop.Sys.MAP_PRIVATE | Interop.Sys.MAP_ANONYMOUS, -1, 0);
        if (_base == Interop.Sys.MAP_FAILED)
        {
            throw new InvalidOperationException($"mmap failed, errno {Marshal.GetLastPInvokeError()}");
        }

        if (Interop.Sys.MProtect(_base + usable, page, Interop.Sys.PROT_NONE) != 0)
        {
            throw new InvalidOperationException($"mprotect failed, errno {Marshal.GetLastPInvokeError()}");
        }

        _capacity = (int)usable;
    }

    public int Capacity => _capacity;

    /// <summary>Copies <paramref name="data"/> so its last byte is the last readable byte.</summary>
    public Span<byte> Place(ReadOnlySpan<byte> data)
    {
        Span<byte> target = Tail(data.Length);
        data.CopyTo(target);
        return target;
    }

    /// <summary>The last <paramref name="length"/> readable bytes, contents unspecified.</summary>
    public Span<byte> Tail(int length)
    {
        if ((uint)length > (uint)_capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(length));
        }

        return new Span<byte>(_base + (_capacity - length), length);
    }

    public void Dispose() => Interop.Sys.MUnmap(_base, _mapped);
}
