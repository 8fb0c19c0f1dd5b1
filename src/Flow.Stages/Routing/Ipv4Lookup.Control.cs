using Flow.Stages.Ipv4;
using Flow.Stages.Routing.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Stages.Routing;

// Control plane: routes from options, and the route verbs. The table is shared and changed by
// whichever thread calls (its writer lock is never taken by the data path), so the verbs change
// it from the control thread and the workers keep forwarding meanwhile.
public sealed partial class Ipv4Lookup : IControlledStage
{
    // Set by the constructor, read by control commands only.
    private readonly IReadOnlyList<AttachedNetwork> _networks = [];

    /// <summary>
    /// Makes the stage and adds the routes <paramref name="options"/> describe to
    /// <paramref name="routes"/>: connected and local routes of the interfaces, then the static
    /// ones (replacing what the table had for those prefixes). Throws
    /// <see cref="RouterConfigurationException"/> naming every bad value.
    /// </summary>
    [ActivatorUtilitiesConstructor]
    public Ipv4Lookup(Ipv4LookupOptions options, Ipv4RouteTable routes)
        : this(routes)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            RouteConfiguration configuration = RouteConfiguration.Build(options);
            if (configuration.Errors.Count > 0)
            {
                throw new RouterConfigurationException([.. configuration.Errors.Select(e => $"{e.Member}: {e.Message}")]);
            }
            configuration.Apply(routes);
            _networks = configuration.Networks;
        }
        catch
        {
            _reader.Dispose();
            throw;
        }
    }

    /// <summary>The route verbs (<c>route show|add|del</c>); every lookup stage of a graph shares them.</summary>
    IReadOnlyList<IControlCommand> IControlledStage.ControlCommands => RouteControlCommands.All;

    /// <summary>The table this stage looks up in (shared; safe to change from any thread).</summary>
    public Ipv4RouteTable RouteTable => _routes;

    /// <summary>The interfaces' networks this stage was given, where <c>route add</c> finds a gateway's port.</summary>
    internal IReadOnlyList<AttachedNetwork> Networks => _networks;
}
