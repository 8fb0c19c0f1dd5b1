namespace Flow.Stages.Nat;

/// <summary>Which remotes may send to a mapping (RFC 4787 5).</summary>
public enum NatFiltering
{
    /// <summary>Any remote reaches the internal endpoint through its mapping ("full cone"; the default).</summary>
    EndpointIndependent,

    /// <summary>Only remote addresses the internal endpoint has sent to.</summary>
    AddressDependent,

    /// <summary>Only remote address:port pairs the internal endpoint has sent to.</summary>
    AddressAndPortDependent,
}
