using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Flow.Cli;

/// <summary>
/// Log lines as <c>flow: warning: …</c> on stderr. An exception shows as its type and message;
/// its stack trace only with <c>--verbose</c> (the CLI never prints one otherwise).
/// </summary>
/// <remarks>
/// Messages carry strings of a peer's choosing (a memif peer's interface name or disconnect
/// reason, security review L6), so control characters are written escaped (<c>\n</c>,
/// <c>\x1b</c>, <c>\u202e</c>): one log event stays one line, and a peer can neither forge a
/// line nor send the terminal escape sequences. Only the stack trace of <c>--verbose</c>, which
/// comes from code, keeps its line breaks.
/// </remarks>
internal sealed class CliLogFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "flow";

    // C0 and DEL and C1 (what char.IsControl is), plus U+2028/2029 (line and paragraph
    // separators) and the bidi embeddings, overrides and isolates that reorder what a terminal shows.
    private static readonly System.Buffers.SearchValues<char> s_unsafe = System.Buffers.SearchValues.Create(
        string.Concat(Enumerable.Range(0, 0x20).Select(i => (char)i)) + "\u007f" +
        string.Concat(Enumerable.Range(0x80, 0x20).Select(i => (char)i)) +
        "\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069");

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
        textWriter.Write($"flow: {level}: {Escape(message)}");
        if (logEntry.Exception is { } exception)
        {
            if (ShowStackTraces)
            {
                for (Exception? e = exception; e is not null; e = e.InnerException)
                {
                    textWriter.Write($"{Environment.NewLine}{(e == exception ? "" : " ---> ")}{e.GetType()}: {Escape(e.Message)}");
                    if (e.StackTrace is { } stack)
                    {
                        textWriter.Write(Environment.NewLine + stack);
                    }
                }
            }
            else
            {
                Exception shown = exception is StageFaultException { InnerException: { } inner } ? inner : exception;
                textWriter.Write($": {shown.GetType().Name}: {Escape(shown.Message)}");
            }
        }
        textWriter.WriteLine();
    }

    /// <summary><paramref name="text"/> with every control character (C0, DEL, C1) and bidirectional or line-separator format character escaped.</summary>
    internal static string Escape(string text)
    {
        int first = text.AsSpan().IndexOfAny(s_unsafe);
        if (first < 0)
        {
            return text;
        }
        var escaped = new StringBuilder(text.Length + 16).Append(text, 0, first);
        foreach (char c in text.AsSpan(first))
        {
            if (!s_unsafe.Contains(c))
            {
                escaped.Append(c);
                continue;
            }
            escaped.Append(c switch
            {
                '\n' => @"\n",
                '\r' => @"\r",
                '\t' => @"\t",
                <= '\u00ff' => "\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture),
                _ => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
            });
        }
        return escaped.ToString();
    }
}
