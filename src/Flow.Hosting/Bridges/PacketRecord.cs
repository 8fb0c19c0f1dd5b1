namespace Flow.Hosting;

/// <summary>
/// A copy of one packet handed to application code by a <c>channel_sink</c>: the bytes (up to
/// the sink's snap length), the input port, the sequence stamp and when the sink saw it.
/// </summary>
public sealed record PacketRecord(byte[] Data, ushort InputPort, ulong Sequence, long TimestampNanoseconds, int OriginalLength);
