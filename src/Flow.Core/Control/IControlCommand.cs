namespace Flow;

/// <summary>
/// A command of a running graph's control plane (VPP's <c>VLIB_CLI_COMMAND</c>, BESS module
/// commands): a stage declares it (<see cref="IControlledStage"/>), or a library registers it in
/// DI (<c>services.AddSingleton&lt;IControlCommand&gt;(...)</c>), and a control endpoint
/// (Flow.Hosting's <c>ControlEndpoint</c>, <c>flow ctl</c>) dispatches requests to it by
/// <see cref="Name"/> after checking them against <see cref="Arguments"/>. A command reads or changes stages only through
/// <see cref="FlowGraph.InvokeAsync{TStage, TResult}"/> (the stage's mailbox, run by its worker
/// between batches), never by touching stage state from the caller's thread. A command holds no
/// per-stage state: one instance serves every stage that declares it (see
/// <see cref="ControlRequest.ServingStage"/>).
/// </summary>
public interface IControlCommand
{
    /// <summary>Lower-case words separated by one space (<c>"mac show"</c>); unique among registered commands.</summary>
    string Name { get; }

    /// <summary>One sentence: what the command does.</summary>
    string Help { get; }

    /// <summary>
    /// The arguments the command takes. The endpoint refuses a request with any other, without
    /// a required one, or with a value its <see cref="ControlArgument.Value"/> refuses, before
    /// the command runs.
    /// </summary>
    IReadOnlyList<ControlArgument> Arguments { get; }

    /// <summary>
    /// Runs the command. A refused request (bad value, unknown port, no such stage) throws
    /// <see cref="ControlCommandException"/> (or an <see cref="ArgumentException"/>) whose message
    /// names the bad value; nothing was changed then.
    /// </summary>
    Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken);
}
