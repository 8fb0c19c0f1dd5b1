namespace Flow.Stages.Nat;

/// <summary>A 1:1 address mapping resolved (host order).</summary>
public readonly record struct NatOneToOne(uint External, uint Internal);

/// <summary>Lookups in the (few) 1:1 mappings of a NAT: a linear scan, cheaper than a hash for a handful.</summary>
internal static class OneToOne
{
    public static uint? ExternalOf(NatOneToOne[] mappings, uint inside)
    {
        foreach (NatOneToOne m in mappings)
        {
            if (m.Internal == inside)
            {
                return m.External;
            }
        }
        return null;
    }

    public static uint? InternalOf(NatOneToOne[] mappings, uint external)
    {
        foreach (NatOneToOne m in mappings)
        {
            if (m.External == external)
            {
                return m.Internal;
            }
        }
        return null;
    }
}
