using System.Text;
using System.Text.Json;
using Flow.TestKit;

namespace Flow.Protocols.Tests.Corpus;

/// <summary>
/// Every packet of the scapy corpus, parsed with Flow's views in a guarded buffer, must
/// yield exactly the layers and field values scapy decoded — or, for malformed packets,
/// be refused by the layer the corpus names.
/// </summary>
public sealed class CorpusParseTests
{
    [Theory]
    [InlineData("ethernet")]
    [InlineData("vlan")]
    [InlineData("arp")]
    [InlineData("ipv4")]
    [InlineData("icmp")]
    [InlineData("udp")]
    [InlineData("tcp")]
    [InlineData("dhcp")]
    [InlineData("ipv6")]
    [InlineData("icmpv6")]
    public void EveryFieldMatchesScapyForFamily(string family)
    {
        List<CorpusEntry> entries = ScapyCorpus.Entries.Where(e => e.Family == family).ToList();
        Assert.NotEmpty(entries);
        var failures = new StringBuilder();
        using var guarded = new GuardedBuffer();
        foreach (CorpusEntry entry in entries)
        {
            PacketWalker walk = PacketWalker.Walk(guarded.Place(entry.Frame));
            if (entry.Reject is not null)
            {
                if (walk.Rejected != entry.Reject)
                {
                    failures.AppendLine($"{entry.Name}: expected {entry.Reject} to refuse the packet, got {walk.Rejected ?? "no refusal"}");
                }

                continue;
            }

            if (walk.Rejected is not null)
            {
                failures.AppendLine($"{entry.Name}: {walk.Rejected} refused a valid packet");
            }

            JsonElement ours = walk.ToJson();
            if (!JsonElement.DeepEquals(ours, entry.Expect))
            {
                failures.AppendLine($"{entry.Name}:\n  scapy: {entry.Expect.GetRawText().Replace("\n", "").Replace(" ", "")}\n  flow:  {ours.GetRawText()}");
            }
        }

        Assert.True(failures.Length == 0, failures.ToString());
    }

    [Fact]
    public void CorpusHasValidAndMalformedPacketsOfEveryFamily()
    {
        foreach (IGrouping<string, CorpusEntry> family in ScapyCorpus.Entries.GroupBy(e => e.Family).Where(g => g.Key != "ethernet"))
        {
            Assert.Contains(family, e => e.Reject is null);
            Assert.Contains(family, e => e.Reject is not null);
        }
    }
}
