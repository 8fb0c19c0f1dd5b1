namespace Flow.Stages.Dhcp;

/// <summary>The DHCP client states of RFC 2131 4.4, figure 5 (INIT-REBOOT and REBOOTING are not used: the client starts in INIT).</summary>
public enum DhcpClientState : byte
{
    /// <summary>The interface does not take its address from DHCP; the client does nothing.</summary>
    Disabled,
    Init,
    Selecting,
    Requesting,
    /// <summary>An ACK granted a new address; ARP probes check that no other host has it before it is used (RFC 2131 4.4.1).</summary>
    Checking,
    Bound,
    Renewing,
    Rebinding,
}
