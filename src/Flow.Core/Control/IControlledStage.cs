namespace Flow;

/// <summary>
/// A stage that serves control commands (verbs) while its graph runs: the control endpoint
/// offers the commands of every stage of the running graph, and <c>flow ctl help</c> lists
/// them, so a new stage's verbs need no change to the CLI (grout keeps a module's CLI with the
/// module; vppctl forwards the line to whoever registered it).
/// </summary>
/// <remarks>
/// Return the same instances from every stage of a type (a static list): stages of one type
/// that declare a command share it, and the request names them in
/// <see cref="ControlRequest.ServedBy"/>. Two stage types declaring one name is an error at
/// endpoint start.
/// </remarks>
public interface IControlledStage
{
    IReadOnlyList<IControlCommand> ControlCommands { get; }
}
