using Flow.Stages.Nat.Internal;

namespace Flow.Stages.Nat;

// A reload's changed port mappings, taken live (see NatOutbound.Reconfigure.cs; whichever half
// comes first changes the shared table, the other finds it done).
public sealed partial class NatInbound : IReconfigurableStage
{
    string? IReconfigurableStage.CheckReconfigure(object options) => NatLiveOptions.Check(_options, options);

    void IReconfigurableStage.Reconfigure(object options)
    {
        IReadOnlyList<NatStaticMapping> next = NatSetup.Resolve((NatOptions)options).PortMappings;
        NatLiveOptions.Apply(_table, _portMappings, next);
        _portMappings = next;
        _options = (NatOptions)options;
    }
}
