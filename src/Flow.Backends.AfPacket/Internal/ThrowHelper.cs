using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Flow.Backends.AfPacket;

internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowArgument(string name, string message) => throw new ArgumentException(message, name);

    [DoesNotReturn]
    public static void ThrowIO(string what, int errno) =>
        throw new IOException($"{what} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
}
