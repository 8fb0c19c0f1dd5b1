using Xunit;

namespace Flow.Backends.Dpdk.Tests;

/// <summary>The mbuf → index mapping by reciprocal multiplication gives what the division gives, for every stride and pool size a mempool can have.</summary>
public sealed class MbufIndexTests
{
    [Theory]
    [InlineData(3u)]
    [InlineData(2304u)]
    [InlineData(2432u)]
    [InlineData(4096u)]
    [InlineData(10_368u)]
    [InlineData(65_535u)]
    [InlineData(1u << 20)]
    public void EachMbufOfThePoolMapsToItsPosition(uint stride)
    {
        nint first = unchecked((nint)0x7f00_0000_0000L);
        var index = new MbufIndex(first, stride);
        var random = new Random((int)stride);
        IEnumerable<uint> positions = Enumerable.Range(0, 70_000).Select(k => (uint)k)
            .Concat(Enumerable.Range(0, 10_000).Select(_ => (uint)random.NextInt64(0, uint.MaxValue)))
            .Append(uint.MaxValue);
        foreach (uint k in positions)
        {
            nint mbuf = first + (nint)((ulong)k * stride);
            Assert.Equal(k, index.Of(mbuf));
        }
    }
}
