using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Flow.Samples.ForwardHook;

/// <summary>One rule of <see cref="PortPolicyOptions"/>: packets of a protocol to a destination port.</summary>
public sealed record PortRuleOptions
{
    [Required]
    [RegularExpression("^(tcp|udp)$")]
    [Description("tcp or udp")]
    public string Protocol { get; init; } = "";

    [Range(1, 65535)]
    [Description("destination port the rule matches")]
    public int Port { get; init; }

    [Range(0, 63)]
    [Description("for 'mark': the DSCP written into matching packets")]
    public int Dscp { get; init; }
}
