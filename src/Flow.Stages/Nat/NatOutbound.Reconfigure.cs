using Flow.Stages.Nat.Internal;

namespace Flow.Stages.Nat;

// A reload's changed port mappings, taken live: sessions, run-time mappings and counters stay.
public sealed partial class NatOutbound : IReconfigurableStage
{
    /// <summary>The options the stage runs with (after a reload, the reload's).</summary>
    public NatOptions Options => _options;

    string? IReconfigurableStage.CheckReconfigure(object options) => NatLiveOptions.Check(_options, options);

    void IReconfigurableStage.Reconfigure(object options)
    {
        NatSetup next = NatSetup.Resolve((NatOptions)options);
        NatLiveOptions.Apply(_table, _setup.PortMappings, next.PortMappings);
        _setup = _setup with { PortMappings = next.PortMappings };
        _options = (NatOptions)options;
    }
}
