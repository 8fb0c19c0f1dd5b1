using System.Diagnostics.CodeAnalysis;

namespace Flow.Backends.AfXdp.Internal;

/// <summary>Throws kept out of line so the methods that call them stay small.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowArgumentOutOfRange(string name, object? value, string message) =>
        throw new ArgumentOutOfRangeException(name, value, message);

    [DoesNotReturn]
    public static void ThrowArgument(string name, string message) => throw new ArgumentException(message, name);

    [DoesNotReturn]
    public static void ThrowNotSupported(string message) => throw new PlatformNotSupportedException(message);

    [DoesNotReturn]
    public static void ThrowAfXdp(string message, int errno = 0) => throw new AfXdpException(message, errno);
}
