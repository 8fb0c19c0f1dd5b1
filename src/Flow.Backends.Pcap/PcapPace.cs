namespace Flow.Backends.Pcap;

/// <summary>How fast <see cref="PcapRx"/> replays a file.</summary>
public enum PcapPace
{
    /// <summary>As fast as the worker and the pool allow.</summary>
    Fastest,

    /// <summary>At the gaps between the recorded timestamps, scaled by <see cref="PcapOptions.Speed"/>.</summary>
    Recorded,

    /// <summary>At <see cref="PcapOptions.RatePps"/> packets per second.</summary>
    Rate,
}
