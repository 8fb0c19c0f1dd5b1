namespace Flow.Hosting;

/// <summary>How <see cref="FlowHostedService"/> runs its graph.</summary>
public sealed class FlowGraphHostOptions
{
    /// <summary>Names the graph in logs and as the DI key of its <see cref="FlowHostedService"/>.</summary>
    public string Name { get; set; } = "default";

    /// <summary>Stop the application when the graph ends by itself (every source exhausted) or faults.</summary>
    public bool StopApplicationWhenDone { get; set; }

    /// <summary>
    /// Overrides of the graph file's <c>parameters</c> (name or <c>name.key</c> → value; a value
    /// that parses as JSON is that JSON), as <c>flow run --set</c> passes them. Graph files only.
    /// </summary>
    public IDictionary<string, string> Parameters { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Drain packets in flight on shutdown (sources stop first) rather than stop at once.</summary>
    public bool DrainOnStop { get; set; } = true;

    /// <summary>
    /// Serve a control socket at this path while the graph runs (<see cref="ControlEndpoint"/>,
    /// docs/control.md): <c>flow ctl --control &lt;path&gt;</c> then reads and changes it. Null (the
    /// default): no socket. <see cref="ControlEndpoint.DefaultPath"/>(<see cref="Name"/>) is where
    /// <c>flow run</c> puts it.
    /// </summary>
    public string? ControlSocket { get; set; }
}
