using System.ComponentModel;

namespace Flow.Samples.ForwardHook;

/// <summary>Options of the <c>port_policy</c> stage, bound from its <c>config</c> in router.json's <c>forward_hook</c>.</summary>
public sealed record PortPolicyOptions
{
    [Description("rules whose packets are dropped, counted as 'blocked'")]
    public IReadOnlyList<PortRuleOptions> Block { get; init; } = [];

    [Description("rules whose packets get the rule's DSCP (the IPv4 header checksum patched) and go on")]
    public IReadOnlyList<PortRuleOptions> Mark { get; init; } = [];
}
