namespace Flow.Backends.AfPacket;

/// <summary>TP_STATUS_* bits of ring headers (linux/if_packet.h).</summary>
public static class TpacketStatus
{
    // Receive side.
    public const uint Kernel = 0;
    public const uint User = 1 << 0;
    public const uint Copy = 1 << 1;
    public const uint Losing = 1 << 2;
    public const uint VlanValid = 1 << 4;
    public const uint VlanTpidValid = 1 << 6;

    // Transmit side.
    public const uint Available = 0;
    public const uint SendRequest = 1 << 0;
    public const uint Sending = 1 << 1;
    public const uint WrongFormat = 1 << 2;
}
