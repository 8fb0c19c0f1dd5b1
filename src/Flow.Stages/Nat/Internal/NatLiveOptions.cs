using System.Text.Json;

namespace Flow.Stages.Nat.Internal;

/// <summary>
/// What a reload may change in a running NAT without replacing its stages: the port mappings
/// the config lists. Both halves get the new options; applying them is idempotent, so the table
/// both share changes once whichever comes first.
/// </summary>
internal static class NatLiveOptions
{
    /// <summary>Null when <paramref name="next"/> differs from <paramref name="current"/> in its port mappings only, and they resolve; otherwise why not.</summary>
    public static string? Check(NatOptions current, object next)
    {
        if (next is not NatOptions options)
        {
            return "not NAT options";
        }
        if (Comparable(options) != Comparable(current))
        {
            return "only port_mappings change live";
        }
        try
        {
            _ = NatSetup.Resolve(options);
            return null;
        }
        catch (Ipv4.RouterConfigurationException e)
        {
            return e.Message;
        }
    }

    /// <summary>Takes away the mappings <paramref name="before"/> listed and <paramref name="after"/> does not, and adds the new ones (those added at run time stay).</summary>
    public static void Apply(NatTable table, IReadOnlyList<NatStaticMapping> before, IReadOnlyList<NatStaticMapping> after)
    {
        foreach (NatStaticMapping gone in before.Except(after))
        {
            table.RemoveStatic(gone.Protocol, gone.OutsideAddress, gone.OutsidePort);
        }
        foreach (NatStaticMapping added in after.Except(before))
        {
            // Already there (the other half applied it first) or taken by a mapping added at run
            // time: the table keeps what it has; 'nat mappings show' tells.
            _ = table.AddStatic(added.Protocol, added.OutsideAddress, added.OutsidePort, added.InsideAddress, added.InsidePort);
        }
    }

    // Lists compare by content here, not by reference as records do.
    private static string Comparable(NatOptions options) => JsonSerializer.Serialize(options with { PortMappings = [] });
}
