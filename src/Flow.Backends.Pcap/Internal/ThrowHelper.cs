using System.Diagnostics.CodeAnalysis;

namespace Flow.Backends.Pcap;

internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowFormat(string path, string problem) => throw new PcapFormatException(path, problem);

    [DoesNotReturn]
    public static void ThrowArgument(string name, string message) => throw new ArgumentException(message, name);
}
