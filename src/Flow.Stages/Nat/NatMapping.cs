namespace Flow.Stages.Nat;

/// <summary>How an internal endpoint's packets to different remotes share external ports (RFC 4787 4.1).</summary>
public enum NatMapping
{
    /// <summary>One external address:port per internal endpoint, whatever the remote (REQ-1; the default).</summary>
    EndpointIndependent,

    /// <summary>A new external port for every remote address:port ("symmetric" NAT; halo's behaviour).</summary>
    AddressAndPortDependent,
}
