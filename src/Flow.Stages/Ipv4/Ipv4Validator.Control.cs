using Flow.Stages.Ipv4.Internal;

namespace Flow.Stages.Ipv4;

// Control plane: the interface verbs. ipv4_input declares them because every router has one and
// it holds the interface table every router stage is given.
public sealed partial class Ipv4Validator : IControlledStage
{
    /// <summary>The interface verbs (<c>addr show</c>).</summary>
    IReadOnlyList<IControlCommand> IControlledStage.ControlCommands => AddressControlCommands.All;
}
