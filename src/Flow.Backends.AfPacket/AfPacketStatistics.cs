namespace Flow.Backends.AfPacket;

/// <summary>
/// Kernel-side counters of an rx socket (PACKET_STATISTICS), accumulated since the stage was
/// made: <see cref="Packets"/> frames the socket saw, <see cref="Drops"/> of them lost because
/// the ring was full, <see cref="FreezeQueueCount"/> times the ring ran full.
/// </summary>
public readonly record struct AfPacketStatistics(long Packets, long Drops, long FreezeQueueCount);
