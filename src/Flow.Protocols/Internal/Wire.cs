using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Flow.Protocols.Internal;

/// <summary>Reinterprets validated packet bytes as a wire struct, in place (no copy).</summary>
internal static class Wire
{
    /// <summary>
    /// A reference to a <typeparamref name="T"/> at the start of <paramref name="bytes"/>.
    /// The caller has already checked that <paramref name="bytes"/> holds at least
    /// <c>sizeof(T)</c> bytes; this is the "then trust" half of STYLE D4.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref T As<T>(Span<byte> bytes)
        where T : unmanaged
    {
        Debug.Assert(bytes.Length >= Unsafe.SizeOf<T>(), "view over fewer bytes than its header");
        return ref Unsafe.As<byte, T>(ref MemoryMarshal.GetReference(bytes));
    }
}
