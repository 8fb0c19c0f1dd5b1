using Flow.Stages.Icmp.Internal;
using Flow.Stages.Ipv4;

namespace Flow.Stages.Icmp;

// Control messages: run by the owning worker between batches (FlowGraph.InvokeAsync).
public sealed partial class IcmpErrorSender : IControlledStage
{
    /// <summary>The ICMP verbs (<c>icmp show</c>).</summary>
    IReadOnlyList<IControlCommand> IControlledStage.ControlCommands => IcmpControlCommands.All;

    /// <summary>The options in use (interfaces and rate limits).</summary>
    public IcmpErrorSenderOptions Options => _options;

    /// <summary>The interface table in use.</summary>
    public RouterInterfaceTable Interfaces => _interfaces;

    /// <summary>Tokens in the global bucket now (its refill since the last error counted).</summary>
    public long GlobalTokens => _global.AvailableAt(_clock.NowNanoseconds);

    /// <summary>Errors sent so far, by kind.</summary>
    public IcmpErrorCounters GetCounters() => new(_sentByKind[0], _sentByKind[1], _sentByKind[2], _sentByKind[3], _sentByKind[4], _sentByKind[5], _sentByKind[6]);

    /// <summary>
    /// Replaces the rate limits (interfaces in <paramref name="options"/> are ignored); buckets
    /// start full. Throws <see cref="RouterConfigurationException"/> naming the bad values and
    /// changes nothing.
    /// </summary>
    public void SetRateLimits(IcmpErrorSenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        (Internal.TokenBucket global, Internal.DestinationRateTable destinations) = CreateLimits(options, _clock.NowNanoseconds);
        _global = global;
        _destinations = destinations;
        _options = options with { Interfaces = _options.Interfaces };
    }

    /// <summary>Replaces the interface table.</summary>
    public void SetInterfaces(RouterInterfaceTable interfaces)
    {
        ArgumentNullException.ThrowIfNull(interfaces);
        _interfaces = interfaces;
        _options = _options with { Interfaces = interfaces.Interfaces };
    }
}
