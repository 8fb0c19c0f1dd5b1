namespace Flow.Stages.Ipv4.Internal;

/// <summary>
/// One router command of a control endpoint (<c>route</c>, <c>addr</c>, <c>icmp</c>): a
/// declaration and the method that runs it. Each reads or changes its stages only through their
/// mailboxes, or through the shared route table that is safe to change from any thread.
/// </summary>
internal sealed class RouterControlCommand(string name, string help, IReadOnlyList<ControlArgument> arguments,
    Func<ControlRequest, Task<ControlReply>> run) : IControlCommand
{
    private readonly Func<ControlRequest, Task<ControlReply>> _run = run;

    public string Name { get; } = name;

    public string Help { get; } = help;

    public IReadOnlyList<ControlArgument> Arguments { get; } = arguments;

    public Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _run(request);
    }

    /// <summary>
    /// The stage a request is for and what <paramref name="read"/> returns from it (run by its
    /// worker): the one <c>--stage</c> names, or the only one serving. When several serve and
    /// none was named, they usually share their state (every <c>ipv4_input</c> of a router is
    /// given the same interfaces): if <paramref name="same"/> holds for all, the first answers;
    /// otherwise the request is refused, asking for <c>--stage</c>.
    /// </summary>
    public static async Task<(string Stage, T State)> ServingAsync<TStage, T>(ControlRequest request, Func<TStage, T> read, Func<T, T, bool> same, string what)
        where TStage : Stage
    {
        if (request.Stage is not null || request.ServedBy.Count <= 1)
        {
            string stage = request.ServingStage();
            return (stage, await request.Graph.InvokeAsync(stage, read).ConfigureAwait(false));
        }
        var states = new List<T>(request.ServedBy.Count);
        foreach (string stage in request.ServedBy)
        {
            states.Add(await request.Graph.InvokeAsync(stage, read).ConfigureAwait(false));
        }
        if (states.TrueForAll(s => same(states[0], s)))
        {
            return (request.ServedBy[0], states[0]);
        }
        throw new ControlCommandException($"{request.ServedBy.Count} stages serve '{request.Command}' ({string.Join(", ", request.ServedBy.Select(s => $"'{s}'"))}) " +
            $"with different {what}; choose one with --stage <name>");
    }
}
