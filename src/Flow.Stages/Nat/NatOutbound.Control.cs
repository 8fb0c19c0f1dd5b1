using Flow.Stages.Nat.Internal;

namespace Flow.Stages.Nat;

// The nat verbs are served by nat_out, which owns expiry; nat_in shares its table.
public sealed partial class NatOutbound : IControlledStage
{
    /// <summary><c>nat show</c>, <c>nat sessions</c>, <c>nat mappings show|add|del</c>.</summary>
    IReadOnlyList<IControlCommand> IControlledStage.ControlCommands => NatControlCommands.All;

    /// <summary>The external addresses (host order) port mappings go on.</summary>
    internal uint[] Addresses => _table.Addresses;
}
