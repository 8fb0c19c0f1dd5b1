using System.Diagnostics.CodeAnalysis;

namespace Flow.Backends.Dpdk;

internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowArgument(string name, string message) => throw new ArgumentException(message, name);

    [DoesNotReturn]
    public static void ThrowDpdk(string what, int negativeErrno) =>
        throw new DpdkException($"{what} failed: {DpdkEal.ErrorText(-negativeErrno)} (errno {-negativeErrno})", -negativeErrno);
}
