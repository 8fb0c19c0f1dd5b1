using Flow.Hosting.Internal;

namespace Flow.Hosting;

/// <summary>What one registered stage type offers: name, help, input, ports with their packet types, drop reasons, config keys.</summary>
public sealed record StageCatalogEntry(
    string TypeName,
    string Help,
    bool IsSource,
    Type? Accepts,
    IReadOnlyList<PortDescriptor> Ports,
    IReadOnlyList<DropReasonDescriptor> DropReasons,
    IReadOnlyList<ConfigKey> ConfigKeys,
    Type ClrType)
{
    /// <summary>Describes a registration (what <c>flow stages</c> prints).</summary>
    public static StageCatalogEntry Of(StageRegistration registration)
    {
        StageDescriptor d = registration.Descriptor;
        return new StageCatalogEntry(d.TypeName, d.Help, d.IsSource, d.IsSource ? null : d.Accepts, d.Ports,
            d.DropReasons, registration.OptionsType is null ? [] : OptionsBinder.Describe(registration.OptionsType), d.ClrType);
    }
}
