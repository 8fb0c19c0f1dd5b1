using Xunit;

namespace Flow.Core.Tests.Graph;

public class StageNodeScatterTests
{
    [Fact]
    public void AllEqualFindsADifferentValueAtEveryPositionOfEveryLength()
    {
        for (int length = 1; length <= PacketBatch.DefaultCapacity; length++)
        {
            var values = new ushort[length];
            Array.Fill(values, (ushort)7);
            Assert.True(StageNode.AllEqual(values, 7), $"length {length}: all equal");
            Assert.False(StageNode.AllEqual(values, 8), $"length {length}: all differ from the value asked for");
            for (int position = 0; position < length; position++)
            {
                values[position] = 0x8007;
                Assert.False(StageNode.AllEqual(values, 7), $"length {length}: different value at {position} missed");
                values[position] = 7;
            }
        }
    }
}
