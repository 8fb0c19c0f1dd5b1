namespace Flow.Stages.Dhcp;

/// <summary>
/// The DHCP client states of RFC 2131 4.4, figure 5, and CHECKING (the address check before
/// BOUND). The client starts in INIT-REBOOT when its lease file holds a lease that has not
/// ended, else in INIT.
/// </summary>
public enum DhcpClientState : byte
{
    /// <summary>The interface does not take its address from DHCP; the client does nothing.</summary>
    Disabled,
    Init,
    /// <summary>A remembered lease: the client asks for its address again (4.4.2).</summary>
    InitReboot,
    Rebooting,
    Selecting,
    Requesting,
    /// <summary>An ACK granted a new address; ARP probes check that no other host has it before it is used (RFC 2131 4.4.1).</summary>
    Checking,
    Bound,
    Renewing,
    Rebinding,
}
