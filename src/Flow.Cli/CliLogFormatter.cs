using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Flow.Cli;

/// <summary>
/// Log lines as <c>flow: warning: …</c> on stderr. An exception shows as its type and message;
/// its stack trace only with <c>--verbose</c> (the CLI never prints one otherwise).
/// </summary>
internal sealed class CliLogFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "flow";

    public static bool ShowStackTraces { get; set; }

    public override void Write<TState>(in LogEntry<TState> logEntry, Microsoft.Extensions.Logging.IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        string message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        string level = logEntry.LogLevel switch
        {
            LogLevel.Critical or LogLevel.Error => "error",
            LogLevel.Warning => "warning",
            LogLevel.Information => "info",
            _ => "debug",
        };
        textWriter.Write($"flow: {level}: {message}");
        if (logEntry.Exception is { } exception)
        {
            Exception shown = exception is StageFaultException { InnerException: { } inner } ? inner : exception;
            textWriter.Write(ShowStackTraces ? Environment.NewLine + exception : $": {shown.GetType().Name}: {shown.Message}");
        }
        textWriter.WriteLine();
    }
}
