using System.ComponentModel.DataAnnotations;
using Flow.Stages.Ipv4;

namespace Flow.Net.Udp;

/// <summary>Options of <see cref="UdpSender"/>.</summary>
public sealed record UdpSenderOptions
{
    /// <summary>The host's interfaces; the list every stack stage gets.</summary>
    public IReadOnlyList<RouterInterfaceOptions> Interfaces { get; init; } = [];

    /// <summary>Frames for datagrams the sockets have queued or in flight (a send fails with ENOBUFS when all are).</summary>
    [Range(64, 1 << 20)]
    public int PoolFrames { get; init; } = 8192;
}
