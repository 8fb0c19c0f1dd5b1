using Microsoft.Extensions.Logging;

namespace Flow.Backends.Memif.Internal;

/// <summary>memif log events (control plane only; the data path never logs).</summary>
internal static partial class MemifLog
{
    [LoggerMessage(1, LogLevel.Information, "memif {Interface}: connected to '{Peer}' ({Queues} queue pair(s), {RingSize} slots).")]
    public static partial void Connected(ILogger logger, string @interface, string peer, int queues, int ringSize);

    [LoggerMessage(2, LogLevel.Warning, "memif {Interface}: disconnected: {Reason}.")]
    public static partial void Disconnected(ILogger logger, string @interface, string reason);

    [LoggerMessage(3, LogLevel.Debug, "memif {Interface}: connect attempt failed: {Reason}.")]
    public static partial void ConnectFailed(ILogger logger, string @interface, string reason);

    [LoggerMessage(4, LogLevel.Warning, "memif socket {Socket}: refused a connection: {Reason}.")]
    public static partial void Refused(ILogger logger, string socket, string reason);

    [LoggerMessage(5, LogLevel.Error, "memif {Interface}: control loop failed.")]
    public static partial void ControlLoopFailed(ILogger logger, string @interface, Exception exception);

    [LoggerMessage(7, LogLevel.Warning, "memif {Interface}: the buffer region the last server mapped is kept for the next one ({Outstanding} frames still in use or a shared group): region_reused.")]
    public static partial void RegionReused(ILogger logger, string @interface, int outstanding);

    [LoggerMessage(6, LogLevel.Error, "memif {Interface}: a {Event} handler threw; the interface carries on.")]
    public static partial void HandlerFailed(ILogger logger, string @interface, string @event, Exception exception);
}
