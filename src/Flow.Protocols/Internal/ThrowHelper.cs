using System.Diagnostics.CodeAnalysis;

namespace Flow.Protocols.Internal;

/// <summary>Throw sites kept out of line so the callers stay small and inlinable (STYLE D4).</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowArgumentOutOfRange_Index(string paramName) =>
        throw new ArgumentOutOfRangeException(paramName, "Index is outside the parsed range.");
}
