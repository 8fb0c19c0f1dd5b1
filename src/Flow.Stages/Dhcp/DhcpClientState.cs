namespace Flow.Stages.Dhcp;

/// <summary>The DHCP client states of RFC 2131 4.4, figure 5 (INIT-REBOOT and REBOOTING are not used: the client starts in INIT).</summary>
public enum DhcpClientState : byte
{
    /// <summary>The interface does not take its address from DHCP; the client does nothing.</summary>
    Disabled,
    Init,
    Selecting,
    Requesting,
    Bound,
    Renewing,
    Rebinding,
}
