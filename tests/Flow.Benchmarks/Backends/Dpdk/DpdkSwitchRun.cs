using Flow.Backends.Dpdk;
using Flow.Benchmarks.Infrastructure;
using Flow.Benchmarks.Switch;
using Flow.Stages.Switching;
using Flow.TestKit;

namespace Flow.Benchmarks.Backends.Dpdk;

/// <summary>
/// The switch half of scenario <c>dpdk</c>: Flow's switch graph with two DPDK net_memif client
/// ports against DPDK's <c>l2fwd</c> with the same two ports, in the <c>switch</c> scenario's
/// closed memif loop (testpmd io forwarding, the memif server of both ports, on cpu 1):
/// <code>
///  l2fwd:             testpmd io @cpu1 [p0 p1] ══memif×2══ [p0 p1] l2fwd @cpu0
///  flow_switch_dpdk:  testpmd io @cpu1 [p0 p1] ══memif×2══ [net_memif ×2] Flow @cpu0:
///                     dpdk_rx ×2 → check → classify → learn → forward → tag → dpdk_tx ×2
/// </code>
/// Both forwarders run the same PMD: the difference is the graph against l2fwd's loop. Each
/// port's mbufs leave by the other port without a copy (ADR 008); Flow's run checks that.
/// </summary>
internal static class DpdkSwitchRun
{
    private static int s_ports;

    public static async Task<double> RunFlowSwitch(TimeSpan window, ContentTally content)
    {
        string socket0 = SwitchScenario.Socket(0);
        string socket1 = SwitchScenario.Socket(1);
        using Testpmd testpmd = SwitchScenario.StartTestpmd(socket0, socket1, traffic: null);
        using DpdkPort a = Open(socket0);
        using DpdkPort b = Open(socket1);
        if (!Waits.TryUntilBlocking(() => a.Link.Up && b.Link.Up, TimeSpan.FromSeconds(20)) || !SwitchScenario.LinksUp(testpmd, traffic: null))
        {
            throw new InvalidOperationException("Flow's DPDK net_memif clients and testpmd did not connect");
        }
        // Every frame received is compared with the first after its MACs (testpmd's tx_first
        // frames loop through Flow's tx and back, so the transmit path is checked too).
        FrameChecker check = FrameChecker.Template();
        var rxA = new DpdkRx(a, new DpdkOptions { Device = a.Device, InputPort = 0 });
        var rxB = new DpdkRx(b, new DpdkOptions { Device = b.Device, InputPort = 1 });
        var txA = new DpdkTx(a, new DpdkOptions { Device = a.Device });
        var txB = new DpdkTx(b, new DpdkOptions { Device = b.Device });
        IReadOnlyList<SwitchPortOptions> ports = [SwitchPortOptions.Access("dpdk_a", 1, id: 0), SwitchPortOptions.Access("dpdk_b", 1, id: 1)];
        using FlowGraph graph = new GraphBuilder().Worker(0, cpu: SwitchScenario.MeasuredCpu, idle: IdlePolicy.BusyPoll)
            .AddSwitch(ports)
            .Add("check", new FrameCheck(check)).Connect("check", SwitchGraph.Classifier)
            .Add("rx_a", rxA).Connect("rx_a", "check")
            .Add("rx_b", rxB).Connect("rx_b", "check")
            .Add("tx_a", txA).Connect(SwitchGraph.TaggerOf("dpdk_a"), "tx_a")
            .Add("tx_b", txB).Connect(SwitchGraph.TaggerOf("dpdk_b"), "tx_b")
            .Build();
        var control = new SwitchControl(graph);
        graph.Start();
        (double pps, long testpmdRx, long testpmdTx) = SwitchScenario.Loop(testpmd, window, bursts: 1, traffic: null);
        bool drained = Waits.TryUntilBlocking(() => rxA.Received + rxB.Received == testpmdTx, TimeSpan.FromSeconds(5));
        IReadOnlyList<SwitchPortCounters> counters = await control.PortCountersAsync();
        await graph.StopAsync();
        GraphStats stats = graph.GetStats();
        long flowRx = rxA.Received + rxB.Received;
        long flowTx = txA.Sent + txB.Sent;
        content.Add(check, missing: Math.Max(0, testpmdTx - flowRx));
        SwitchScenario.Verify(drained && flowRx == testpmdTx, $"flow_switch_dpdk: testpmd sent {testpmdTx}, Flow received {flowRx}");
        SwitchScenario.Verify(stats.IsBalanced, "flow_switch_dpdk: conservation does not hold: " + string.Join("; ", stats.Stages));
        SwitchScenario.Verify(testpmdRx <= flowTx && flowTx <= flowRx, $"flow_switch_dpdk: Flow received {flowRx}, sent {flowTx}, testpmd received {testpmdRx}");
        SwitchScenario.Verify(txA.Copies + txB.Copies == 0, $"flow_switch_dpdk: {txA.Copies + txB.Copies} frames were copied between the ports' pools");
        SwitchScenario.Verify(check.Corrupt == 0 && check.Checked == flowRx, $"flow_switch_dpdk: {check.Corrupt} of {check.Checked} checked frames corrupt ({flowRx} received)");
        Console.WriteLine("    flow_switch_dpdk stages (sampled ns/packet): " +
            string.Join(", ", stats.Stages.Where(s => s.In + s.Emitted > 0).Select(s => $"{s.Name} {s.NanosecondsPerPacket:F1}")) +
            $"; packets per rx burst {(double)flowRx / Math.Max(1, stats.Stage("rx_a").Bursts?.NonEmptyPolls + stats.Stage("rx_b").Bursts?.NonEmptyPolls ?? 1):F1}");
        long unicast = counters.Sum(c => c.SentUnicast);
        long flooded = counters.Sum(c => c.SentFlooded);
        SwitchScenario.Verify(unicast > 100 * Math.Max(1, flooded), $"flow_switch_dpdk: the switch did not settle on known unicast ({unicast} unicast, {flooded} flooded)");
        return pps;
    }

    private static DpdkPort Open(string socket) =>
        DpdkPort.Open(new DpdkOptions { Device = $"net_memif_switch{Interlocked.Increment(ref s_ports)},role=client,id=0,socket={socket}", PoolMbufs = 8191 });
}
