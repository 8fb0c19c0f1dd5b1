using Xunit;

namespace Flow.Cli.Tests;

/// <summary><see cref="CtlLine"/>: words stay words in order, <c>--name value</c> and <c>--name=value</c> become arguments, and nothing names a command.</summary>
public sealed class CtlLineTests
{
    [Fact]
    public void WordsKeepTheirOrderAndNamedArgumentsMayComeAnywhere()
    {
        Assert.True(CtlLine.TryParse(["mac", "add", "--vlan", "10", "02:00:00:00:00:0A", "--port=host_b", "-5"], out CtlLine? line, out _));
        Assert.Equal(["mac", "add", "02:00:00:00:00:0A", "-5"], line!.Words);
        Assert.Equal(new Dictionary<string, string> { ["vlan"] = "10", ["port"] = "host_b" }, line.Arguments);
    }

    [Fact]
    public void AnEqualsSignKeepsAValueThatStartsWithDashes()
    {
        Assert.True(CtlLine.TryParse(["route", "add", "--via=--odd", "--note=a=b"], out CtlLine? line, out _));
        Assert.Equal(("--odd", "a=b"), (line!.Arguments["via"], line.Arguments["note"]));
    }

    [Theory]
    [InlineData("mac show --vlan", "--vlan has no value; write --vlan <value> (see 'flow ctl help <command>')")]
    [InlineData("mac show --vlan --port a", "--vlan has no value; write --vlan <value> (see 'flow ctl help <command>')")]
    [InlineData("mac show --vlan 1 --vlan=2", "--vlan is given twice ('1' and '2')")]
    [InlineData("--vlan 1", "no command: 'flow ctl help' lists what the running graph offers")]
    public void ANameWithoutAValueTwiceGivenOrNoWordsAreRefused(string text, string expected)
    {
        Assert.False(CtlLine.TryParse(text.Split(' '), out CtlLine? line, out string problem));
        Assert.Null(line);
        Assert.Equal(expected, problem);
    }
}
