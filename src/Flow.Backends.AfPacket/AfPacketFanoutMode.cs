namespace Flow.Backends.AfPacket;

/// <summary>How PACKET_FANOUT spreads one interface's frames over the sockets of a group (linux/if_packet.h).</summary>
public enum AfPacketFanoutMode
{
    /// <summary>By flow hash: a flow stays on one worker (PACKET_FANOUT_HASH).</summary>
    Hash = 0,

    /// <summary>Round robin (PACKET_FANOUT_LB).</summary>
    LoadBalance = 1,

    /// <summary>By the CPU the frame arrived on (PACKET_FANOUT_CPU).</summary>
    Cpu = 2,

    /// <summary>Fill one socket, then the next (PACKET_FANOUT_ROLLOVER).</summary>
    Rollover = 3,

    /// <summary>Random (PACKET_FANOUT_RND).</summary>
    Random = 4,

    /// <summary>By the NIC's recorded rx queue (PACKET_FANOUT_QM).</summary>
    QueueMapping = 5,
}
