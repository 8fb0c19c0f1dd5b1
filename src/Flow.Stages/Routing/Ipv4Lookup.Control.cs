using Flow.Stages.Ipv4;
using Flow.Stages.Routing.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Stages.Routing;

// Control plane: routes from options, and the route verbs. The table is shared and changed by
// whichever thread calls (its writer lock is never taken by the data path), so the verbs change
// it from the control thread and the workers keep forwarding meanwhile.
public sealed partial class Ipv4Lookup : IControlledStage, IReconfigurableStage
{
    // Set by the constructor, read by control commands only.
    private readonly IReadOnlyList<AttachedNetwork> _networks = [];

    // The static routes the options added, for a reload to take away those its config drops.
    private HashSet<Ipv4Prefix> _staticPrefixes = [];

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
            _staticPrefixes = StaticPrefixes(configuration);
        }
        catch
        {
            _reader.Dispose();
            throw;
        }
    }

    /// <summary>Live when only the static routes changed: the interfaces (connected and local routes, gateways' ports) stay as made.</summary>
    string? IReconfigurableStage.CheckReconfigure(object options)
    {
        if (options is not Ipv4LookupOptions next)
        {
            return "not ipv4_lookup options";
        }
        RouteConfiguration configuration = RouteConfiguration.Build(next);
        if (configuration.Errors.Count > 0)
        {
            return configuration.Errors[0].Message;
        }
        return configuration.Networks.SequenceEqual(_networks) ? null : "the interfaces changed";
    }

    /// <summary>
    /// Takes away the static routes the new config no longer has (routes added with <c>route
    /// add</c> or learned by DHCP stay), and adds or replaces the ones it has.
    /// </summary>
    void IReconfigurableStage.Reconfigure(object options)
    {
        RouteConfiguration configuration = RouteConfiguration.Build((Ipv4LookupOptions)options);
        HashSet<Ipv4Prefix> next = StaticPrefixes(configuration);
        foreach (Ipv4Prefix gone in _staticPrefixes.Where(p => !next.Contains(p)))
        {
            _routes.Delete(gone);
        }
        try
        {
            configuration.Apply(_routes);
        }
        catch (RouterConfigurationException)
        {
            // A full table takes what fits; 'route show' tells what is there.
        }
        _staticPrefixes = next;
    }

    private static HashSet<Ipv4Prefix> StaticPrefixes(RouteConfiguration configuration) =>
        [.. configuration.Routes.Where(r => r.Route.Kind is not (NextHopKind.Connected or NextHopKind.Local)).Select(r => r.Prefix)];

    /// <summary>The route verbs (<c>route show|add|del</c>); every lookup stage of a graph shares them.</summary>
    IReadOnlyList<IControlCommand> IControlledStage.ControlCommands => RouteControlCommands.All;

    /// <summary>The table this stage looks up in (shared; safe to change from any thread).</summary>
    public Ipv4RouteTable RouteTable => _routes;

    /// <summary>The interfaces' networks this stage was given, where <c>route add</c> finds a gateway's port.</summary>
    internal IReadOnlyList<AttachedNetwork> Networks => _networks;
}
