using Flow.Stages.Ipv4;

namespace Flow.Net.Udp;

/// <summary>Options of <see cref="UdpReceiver"/>.</summary>
public sealed record UdpReceiverOptions
{
    /// <summary>The host's interfaces (to tell subnet broadcasts); the list every stack stage gets.</summary>
    public IReadOnlyList<RouterInterfaceOptions> Interfaces { get; init; } = [];

    /// <summary>
    /// Datagrams that may wait in their sockets' receive rings in the frame they arrived in, across
    /// all sockets; the rest are copied into frames of this stage's pool (<see cref="UdpReceiveMemory"/>).
    /// </summary>
    public int InPlaceFrames { get; init; } = UdpReceiveMemory.DefaultInPlaceLimit;

    /// <summary>Frames for those copies; when none is free a datagram is dropped (<c>socket_memory</c>).</summary>
    public int CopyPoolFrames { get; init; } = 4096;
}
