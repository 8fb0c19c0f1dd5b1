using System.ComponentModel.DataAnnotations;
using Flow.Stages.Ipv4;

namespace Flow.Net.Tcp;

/// <summary>Options of <see cref="TcpSender"/>.</summary>
public sealed record TcpSenderOptions
{
    /// <summary>The host's interfaces; the list every stack stage gets (their smallest MTU sets the MSS).</summary>
    public IReadOnlyList<RouterInterfaceOptions> Interfaces { get; init; } = [];

    /// <summary>Frames for segments in flight between this stage and the port.</summary>
    [Range(64, 1 << 20)]
    public int PoolFrames { get; init; } = 8192;

    /// <summary>The congestion controller: CUBIC (Linux's default) or NewReno.</summary>
    public TcpCongestionControl Congestion { get; init; } = TcpCongestionControl.Cubic;

    /// <summary>How long a connection stays in TIME-WAIT (2 MSL; Linux keeps 60 s).</summary>
    public TimeSpan TimeWait { get; init; } = TimeSpan.FromSeconds(60);
}
