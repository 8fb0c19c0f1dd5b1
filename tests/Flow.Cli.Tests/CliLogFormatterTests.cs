using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Flow.Cli.Tests;

/// <summary>
/// Log lines carry strings a peer chose (a memif peer's name, a disconnect reason): whatever
/// they hold, one event is one line and no terminal escape reaches the console.
/// </summary>
public sealed class CliLogFormatterTests
{
    [Fact]
    public void NewlinesInAMessageCannotForgeASecondLogLine()
    {
        string line = Format(LogLevel.Warning, "memif peer 'vpp\nflow: error: graph stopped' disconnected: bye\r\n");

        Assert.Equal("flow: warning: memif peer 'vpp\\nflow: error: graph stopped' disconnected: bye\\r\\n\n", line);
    }

    [Fact]
    public void TerminalEscapesAndBidiOverridesAreWrittenAsEscapes()
    {
        string line = Format(LogLevel.Information, "name \u001b[2J\u001b]0;pwned\u0007 \u009b31m tab\there \u202eevil\u0000");

        Assert.Equal("flow: info: name \\x1b[2J\\x1b]0;pwned\\x07 \\x9b31m tab\\there \\u202eevil\\x00\n", line);
    }

    [Fact]
    public void AnExceptionMessageIsEscapedToo()
    {
        string line = Format(LogLevel.Error, "listener failed", new InvalidOperationException("reason from peer\n\u001b[31mflow: info: all good"));

        Assert.Equal("flow: error: listener failed: InvalidOperationException: reason from peer\\n\\x1b[31mflow: info: all good\n", line);
    }

    [Fact]
    public void PlainTextIsUnchanged()
    {
        Assert.Equal("flow: warning: ünïcode names, quotes ' \" and backslashes \\ stay as they are\n",
            Format(LogLevel.Warning, "ünïcode names, quotes ' \" and backslashes \\ stay as they are"));
    }

    private static string Format(LogLevel level, string message, Exception? exception = null)
    {
        var writer = new StringWriter { NewLine = "\n" };
        new CliLogFormatter().Write(new LogEntry<string>(level, "test", new EventId(1), message, exception, (state, _) => state), null, writer);
        return writer.ToString();
    }
}
