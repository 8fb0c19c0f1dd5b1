using Flow.Protocols.Ethernet;

namespace Flow.Stages.Dhcp.Internal;

/// <summary>What the server knows of one address of its range.</summary>
internal struct LeaseSlot
{
    public DhcpLeaseState State;
    // The binding key (RFC 2131 4.2: client identifier, option 61, else chaddr), kept after the
    // lease ends so the client gets its previous address back (4.3.1); null: never bound.
    public byte[]? Client;
    public MacAddress Mac;
    // Offered, bound, declined: when that ends. Free: when it became free (older goes first).
    public long Deadline;
    public string? HostName;
}
