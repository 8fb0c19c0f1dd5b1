using Flow.Stages.Switching;
using Flow.Stages.Switching.Internal;
using Xunit;
using static Flow.Stages.Tests.Frames;

namespace Flow.Stages.Tests.Switching;

/// <summary>
/// 'mac show' a page at a time (security review L8): each command reads a bounded part of the
/// table and names where the next page starts; paging through gives every entry once.
/// </summary>
public sealed class SwitchMacShowPagingTests
{
    private static async Task<FlowGraph> SwitchWithEntriesAsync(int maxEntries, int entries)
    {
        var builder = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding)
            .AddSwitch(FourPorts(), new MacLearnerOptions { MaxEntries = maxEntries })
            .Add("wire", new FrameListSource([])).Connect("wire", SwitchGraph.Classifier);
        foreach (SwitchPortOptions port in FourPorts())
        {
            builder.Add("sink_" + port.Name, new NullSink()).Connect(SwitchGraph.TaggerOf(port.Name), "sink_" + port.Name);
        }
        FlowGraph graph = builder.Build();
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await graph.InvokeAsync<MacLearner>(SwitchGraph.Learner, l =>
        {
            for (int i = 0; i < entries; i++)
            {
                l.Table.Insert(MacTable.Key(10, 0x02_0000_0000UL + (ulong)i), (ushort)(i % 2), 0, isStatic: false, evictOldest: false, out _);
            }
        });
        return graph;
    }

    private static Task<ControlReply> MacShowAsync(FlowGraph graph, params (string Name, string Value)[] arguments) =>
        SwitchControlCommands.All.Single(c => c.Name == "mac show")
            .ExecuteAsync(new ControlRequest(graph, "mac show", arguments.ToDictionary(a => a.Name, a => a.Value)), CancellationToken.None);

    [Fact]
    public async Task PagesOfLimitRowsNameTheNextStartAndTogetherHoldEveryEntryOnce()
    {
        using FlowGraph graph = await SwitchWithEntriesAsync(8192, 1000);
        var macs = new List<string>();
        string start = "0";
        for (int page = 0; ; page++)
        {
            ControlReply reply = await MacShowAsync(graph, ("start", start), ("limit", "400"));
            Assert.True(reply.Rows.Count <= 400);
            macs.AddRange(reply.Rows.Select(r => r[0]));
            System.Text.RegularExpressions.Match more = System.Text.RegularExpressions.Regex.Match(reply.Message!, "; more from start (\\d+)$");
            if (!more.Success)
            {
                Assert.Equal(2, page);
                Assert.Equal($"switch 'forward': {reply.Rows.Count} of 1000 entries", reply.Message);
                break;
            }
            Assert.Equal(400, reply.Rows.Count);
            start = more.Groups[1].Value;
        }
        Assert.Equal(1000, macs.Count);
        Assert.Equal(1000, macs.Distinct().Count());
    }

    [Fact]
    public async Task AShowOfAHugeTableReadsABoundedPartAndSaysWhereToGoOn()
    {
        // 2^21 slots, 10 entries: the first page stops after 16 slices of 64 Ki slots, not at the end.
        using FlowGraph graph = await SwitchWithEntriesAsync(1 << 20, 10);
        ControlReply reply = await MacShowAsync(graph, ("port", "host_b"));
        int read = SwitchControl.MaxReadsPerPage * MacLearner.MaxSlotsPerRead;
        Assert.EndsWith($" of 10 entries; more from start {read}", reply.Message);
        ControlReply rest = await MacShowAsync(graph, ("port", "host_b"), ("start", read.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(5, reply.Rows.Count + rest.Rows.Count);
        Assert.All(reply.Rows.Concat(rest.Rows), r => Assert.Equal("host_b", r[2]));
        Assert.Equal(10, (await new SwitchControl(graph).ShowMacTableAsync()).Count);
    }

    [Fact]
    public async Task ABadStartOrLimitIsRefusedNamingIt()
    {
        using FlowGraph graph = await SwitchWithEntriesAsync(8192, 1);
        Assert.Equal("limit 0 is out of range 1 to 10000",
            (await Assert.ThrowsAsync<ControlCommandException>(() => MacShowAsync(graph, ("limit", "0")))).Message);
        Assert.Equal("start -1 is out of range 0 to 2147483647",
            (await Assert.ThrowsAsync<ControlCommandException>(() => MacShowAsync(graph, ("start", "-1")))).Message);
        Assert.Equal("start 99999 is no slot of this table; it has slots 0 to 16383",
            (await Assert.ThrowsAsync<SwitchConfigurationException>(() => MacShowAsync(graph, ("start", "99999")))).Message);
    }
}
