using Microsoft.Extensions.Logging;

namespace Flow.Hosting.Internal;

/// <summary>Every log event of Flow.Hosting, with stable event ids.</summary>
internal static partial class FlowHostingLog
{
    [LoggerMessage(1, LogLevel.Information, "Flow graph '{Graph}' started: {Stages} stages on {Workers} workers")]
    public static partial void GraphStarted(ILogger logger, string graph, int stages, int workers);

    [LoggerMessage(2, LogLevel.Warning, "Flow graph '{Graph}': {Warning}")]
    public static partial void GraphWarning(ILogger logger, string graph, string warning);

    [LoggerMessage(3, LogLevel.Information, "Flow graph '{Graph}' stopped: {Packets} packets delivered, {Dropped} dropped, balanced {Balanced}")]
    public static partial void GraphStopped(ILogger logger, string graph, long packets, long dropped, bool balanced);

    [LoggerMessage(4, LogLevel.Error, "Flow graph '{Graph}' faulted")]
    public static partial void GraphFaulted(ILogger logger, string graph, Exception exception);

    [LoggerMessage(5, LogLevel.Error, "Flow graph file is not valid: {Errors}")]
    public static partial void GraphFileInvalid(ILogger logger, string errors);

    [LoggerMessage(6, LogLevel.Information, "Flow graph '{Graph}' finished: every source is exhausted")]
    public static partial void GraphCompleted(ILogger logger, string graph);

    [LoggerMessage(7, LogLevel.Information, "Prometheus metrics at http://{Endpoint}/metrics")]
    public static partial void MetricsListening(ILogger logger, string endpoint);

    [LoggerMessage(8, LogLevel.Warning, "Prometheus request from {Remote} failed: {Reason}")]
    public static partial void MetricsRequestFailed(ILogger logger, string remote, string reason);

    [LoggerMessage(9, LogLevel.Information, "Flow control endpoint listening on {Path}")]
    public static partial void ControlListening(ILogger logger, string path);

    [LoggerMessage(10, LogLevel.Warning, "Flow control socket {Path} was stale (nobody answered); replaced it")]
    public static partial void ControlStaleSocketReplaced(ILogger logger, string path);

    [LoggerMessage(11, LogLevel.Error, "Flow control command '{Command}' failed")]
    public static partial void ControlCommandFailed(ILogger logger, string command, Exception exception);

    [LoggerMessage(12, LogLevel.Debug, "Flow control connection ended: {Reason}")]
    public static partial void ControlConnectionEnded(ILogger logger, string reason);

    [LoggerMessage(13, LogLevel.Warning, "Flow control endpoint could not accept a connection ({Error}: {Reason}); still listening")]
    public static partial void ControlAcceptFailed(ILogger logger, string error, string reason);

    [LoggerMessage(14, LogLevel.Warning, "Prometheus endpoint could not accept a connection ({Error}: {Reason}); still listening")]
    public static partial void MetricsAcceptFailed(ILogger logger, string error, string reason);

    [LoggerMessage(15, LogLevel.Warning, "Flow control: after a reload, {Problem}; that command is not served")]
    public static partial void ControlCommandRefused(ILogger logger, string problem);
}
