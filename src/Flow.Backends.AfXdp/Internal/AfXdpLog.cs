using Microsoft.Extensions.Logging;

namespace Flow.Backends.AfXdp.Internal;

/// <summary>The AF_XDP backend's log events; stable ids, none on the per-packet path.</summary>
internal static partial class AfXdpLog
{
    [LoggerMessage(1, LogLevel.Information, "AF_XDP on {Interface}: XDP program attached in {Mode} mode, {Queues} queue(s).")]
    public static partial void ProgramAttached(ILogger logger, string @interface, string mode, int queues);

    [LoggerMessage(2, LogLevel.Warning, "AF_XDP on {Interface}: replaced XDP program '{Program}' (id {Id}) left attached by an earlier run.")]
    public static partial void LeftoverReplaced(ILogger logger, string @interface, string program, uint id);

    [LoggerMessage(3, LogLevel.Warning, "AF_XDP on {Interface} queue {Queue}: zero-copy bind refused ({Error}); fell back to copy mode.")]
    public static partial void ZeroCopyFallback(ILogger logger, string @interface, int queue, string error);

    [LoggerMessage(4, LogLevel.Warning, "AF_XDP on {Interface} queue {Queue}: bind busy (EBUSY), retrying; a socket of an earlier run may still be closing.")]
    public static partial void BindBusy(ILogger logger, string @interface, int queue);

    [LoggerMessage(5, LogLevel.Information, "AF_XDP on {Interface} queue {Queue}: bound in {BindMode} mode, need-wakeup {NeedWakeup}.")]
    public static partial void SocketBound(ILogger logger, string @interface, int queue, string bindMode, bool needWakeup);

    [LoggerMessage(6, LogLevel.Warning, "AF_XDP on {Interface}: detaching the XDP program failed: {Error}.")]
    public static partial void DetachFailed(ILogger logger, string @interface, string error);

    [LoggerMessage(7, LogLevel.Warning, "AF_XDP on {Interface}: {AttachMode} attach failed ({Error}); fell back to skb mode.")]
    public static partial void AttachFallback(ILogger logger, string @interface, string attachMode, string error);

    [LoggerMessage(8, LogLevel.Debug, "{Library}: {Message}")]
    public static partial void NativeMessage(ILogger logger, string library, string message);
}
