namespace Flow.Benchmarks.Router;

/// <summary>Flow's router as a benchmark runs it: built in code (<see cref="RouterGraph"/>) or loaded from pipelines/router.json (<see cref="RouterFile"/>).</summary>
internal interface IRouterUnderTest : IAsyncDisposable
{
    FlowGraph Graph { get; }

    /// <summary>The checks before lan_tx (0) and wan_tx (1); none without checks.</summary>
    RouterFrameCheck[] Checks { get; }

    /// <summary>Frames the two rx stages took from their ports so far.</summary>
    long Received => Graph.GetStats().Stages.Where(s => s.Name is "lan_rx" or "wan_rx").Sum(s => s.In + s.Emitted);

    /// <summary>Frames the two tx stages handed to their ports so far.</summary>
    long Sent => Graph.GetStats().Stages.Where(s => s.Name is "lan_tx" or "wan_tx").Sum(s => s.In - s.DroppedTotal);
}
