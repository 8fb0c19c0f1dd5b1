using Flow.Core.Tests.Graph;
using Xunit;

namespace Flow.Core.Tests.Stages;

public class StageDescriptorTests
{
    private enum Badly : byte
    {
        First = 1,
    }

    [Stage("badly_numbered", "Test stage with a gap in its outputs.")]
    private sealed class BadlyNumbered : Stage<Badly, NoDrop>
    {
        public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
        {
        }
    }

    [Fact]
    public void PortsAndReasonsComeFromTheEnumsInDeclarationOrder()
    {
        StageDescriptor d = StageDescriptor.Of(typeof(ParitySplitter));
        Assert.Equal("parity_splitter", d.TypeName);
        Assert.Equal(typeof(Carries.Ethernet), d.Accepts);
        Assert.Equal(["even", "odd"], d.Ports.Select(p => p.Name));
        Assert.Equal("even sequences", d.Ports[0].Description);
        Assert.Equal(["truncated", StageDescriptor.StageFault, StageDescriptor.InvalidNext], d.DropReasons.Select(r => r.Symbol));
        Assert.Equal(Severity.Error, d.DropReasons[1].Severity);
    }

    [Theory]
    [InlineData(typeof(Generator), "generator", true)]
    [InlineData(typeof(NullSink), "null_sink", false)]
    [InlineData(typeof(Counter), "counter", false)]
    [InlineData(typeof(Dropper), "drop", false)]
    public void BuiltInStagesDeclareTheirTypeNames(Type type, string name, bool isSource)
    {
        StageDescriptor d = StageDescriptor.Of(type);
        Assert.Equal(name, d.TypeName);
        Assert.Equal(isSource, d.IsSource);
        Assert.False(string.IsNullOrEmpty(d.Help));
    }

    [Fact]
    public void EnumsWithGapsAreRejectedWithTheMemberNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => StageDescriptor.Of(typeof(BadlyNumbered)));
        Assert.Contains("'First' is not 0", e.Message);
    }

    [Theory]
    [InlineData(nameof(Next.Consumed))]
    public void NextEncodesPortsDropsAndConsumedDistinctly(string _)
    {
        Assert.True(Next.Consumed.IsConsumed);
        Assert.False(Next.Consumed.IsDrop);
        Assert.Equal(3, Next.ToPort(3).Port);
        Assert.Equal(5, Next.DropFor(5).DropReason);
        Assert.True(Next.DropFor(0).IsDrop);
    }
}
