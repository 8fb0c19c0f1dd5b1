using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow.Backends.AfXdp.Internal;

/// <summary>
/// Routes libxdp's and libbpf's messages (which go to stderr by default: "No bpffs found",
/// "skipping unrecognized data section") into the backend's logger at Debug level. Failures
/// that matter reach the user as <see cref="AfXdpException"/>s with libxdp_strerror's text.
/// </summary>
internal static unsafe class NativeLog
{
    private static ILogger s_logger = NullLogger.Instance;
    private static int s_installed;

    /// <summary>Sends later native messages to <paramref name="logger"/> (process-wide: the last port opened wins).</summary>
    public static void Install(ILogger logger)
    {
        s_logger = logger;
        if (Interlocked.Exchange(ref s_installed, 1) == 0)
        {
            Interop.Xdp.SetPrint(&OnLibxdp);
            Interop.Bpf.SetPrint(&OnLibbpf);
        }
    }

    [UnmanagedCallersOnly]
    private static int OnLibxdp(int level, byte* format, nint arguments) => Forward("libxdp", format, arguments);

    [UnmanagedCallersOnly]
    private static int OnLibbpf(int level, byte* format, nint arguments) => Forward("libbpf", format, arguments);

    private static int Forward(string library, byte* format, nint arguments)
    {
        if (!s_logger.IsEnabled(LogLevel.Debug))
        {
            return 0;
        }
        const int Size = 1024;
        byte* buffer = stackalloc byte[Size];
        if (Interop.Sys.VsnPrintf(buffer, Size, format, arguments) < 0)
        {
            return 0;
        }
        string text = (Marshal.PtrToStringUTF8((nint)buffer) ?? "").TrimEnd('\n');
        AfXdpLog.NativeMessage(s_logger, library, text);
        return 0;
    }
}
