namespace Flow.Backends.Memif;

/// <summary>
/// Which side of a memif connection Flow plays. The DPDK guide's terms; memif.h still says
/// "slave" for the client and "master" for the server.
/// </summary>
public enum MemifRole
{
    /// <summary>Connects to the socket and owns the shared memory (Flow's frames are the buffers: zero-copy).</summary>
    Client,

    /// <summary>Listens on the socket (many interfaces by id); maps the client's memory and copies.</summary>
    Server,
}
