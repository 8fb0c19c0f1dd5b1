using Flow.Hosting.Internal;
using Xunit;

namespace Flow.Hosting.Tests;

public sealed class SourcePositionTests
{
    [Fact]
    public void ColumnsCountCharactersNotUtf8Bytes()
    {
        SourceNode root = SourceNode.Parse("{\"ü€\": 1,\n  \"b\": [true, null]}"u8);
        SourceMember first = root.Members[0];
        Assert.Equal(new SourcePosition(1, 2), first.KeyPosition);
        Assert.Equal(new SourcePosition(1, 8), first.Value.Position);
        SourceNode array = root["b"]!;
        Assert.Equal(new SourcePosition(2, 8), array.Position);
        Assert.Equal(new SourcePosition(2, 15), array.Items[1].Position);
        Assert.Equal("$.b[1]", array.Items[1].Path);
    }

    [Fact]
    public void PathsQuoteKeysThatAreNotIdentifiers()
    {
        SourceNode root = SourceNode.Parse("{\"a b\": {\"c\": 1}}"u8);
        Assert.Equal("$['a b'].c", root["a b"]!["c"]!.Path);
    }

    [Fact]
    public void ByteOrderMarkIsIgnored()
    {
        SourceNode root = SourceNode.Parse("\uFEFF{\"a\": 1}"u8);
        Assert.Equal(new SourcePosition(1, 7), root["a"]!.Position);
    }

    [Fact]
    public void SyntaxErrorNamesLineAndColumn()
    {
        var e = Assert.Throws<SourceSyntaxException>(() => SourceNode.Parse("{\n  \"a\": 1\n  \"b\": 2\n}"u8));
        Assert.Equal(new SourcePosition(3, 3), e.Position);
    }
}
