namespace Flow.Backends.Memif.Protocol;

/// <summary>memif control message types (the first 16 bits of every 128-byte message).</summary>
internal enum MemifMessageType : ushort
{
    None = 0,
    Ack = 1,
    Hello = 2,
    Init = 3,
    AddRegion = 4,
    AddRing = 5,
    Connect = 6,
    Connected = 7,
    Disconnect = 8,
}
