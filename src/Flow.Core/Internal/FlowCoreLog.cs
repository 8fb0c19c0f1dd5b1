using Microsoft.Extensions.Logging;

namespace Flow.Internal;

/// <summary>Flow.Core's log events; stable ids, none on the per-packet path.</summary>
internal static partial class FlowCoreLog
{
    [LoggerMessage(1, LogLevel.Error, "Stage '{Stage}' on worker {Worker} threw; the graph is stopping.")]
    public static partial void StageFaulted(ILogger logger, string stage, int worker, Exception exception);

    [LoggerMessage(2, LogLevel.Warning, "{Problem}")]
    public static partial void PinningFailed(ILogger logger, string problem);

    [LoggerMessage(3, LogLevel.Warning, "Drain did not finish within {TimeoutMs} ms; stopping with packets still queued.")]
    public static partial void DrainTimedOut(ILogger logger, double timeoutMs);

    [LoggerMessage(4, LogLevel.Warning, "{Warning}")]
    public static partial void GraphWarning(ILogger logger, string warning);

    [LoggerMessage(5, LogLevel.Warning, "Stage '{Stage}', removed by a reload, threw while it stopped; it is gone anyway.")]
    public static partial void ReloadStopFailed(ILogger logger, string stage, Exception exception);
}
