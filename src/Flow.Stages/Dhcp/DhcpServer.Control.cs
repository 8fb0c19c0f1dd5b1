using Flow.Stages.Dhcp.Internal;

namespace Flow.Stages.Dhcp;

// Control messages: run by the owning worker between batches (FlowGraph.InvokeAsync).
public sealed partial class DhcpServer
{
    /// <summary>The DHCP verbs, <c>dhcp leases</c> and <c>dhcp show</c> (which also reports the graph's <c>dhcp_client</c> stages).</summary>
    IReadOnlyList<IControlCommand> IControlledStage.ControlCommands => DhcpControlCommands.All;

    public DhcpServerOptions Options => _options;

    /// <summary>DNS servers handed out now (configured, or learned by the router's DHCP client).</summary>
    public IReadOnlyList<string> DnsServers => [.. _dns.Select(d => d.ToString())];

    /// <summary>The leases of every pool: each address bound, offered, declined or remembering a client; all of the ranges with <paramref name="all"/>.</summary>
    public IReadOnlyList<DhcpLeaseEntry> GetLeases(bool all = false)
    {
        var entries = new List<DhcpLeaseEntry>();
        long now = _clock.NowNanoseconds;
        foreach (DhcpPool pool in _pools)
        {
            pool.Leases.Snapshot(now, all, pool.Name, entries);
        }
        return entries;
    }

    /// <summary>Each pool's network, range, options and counters: the served interface's first, then the relayed subnets'.</summary>
    public IReadOnlyList<DhcpPoolStatus> GetPools() => [.. _pools.Select(p => p.Status(_dns))];

    /// <summary>The server's counters; what it sent, and the leases that expired, summed over its pools.</summary>
    public DhcpServerCounters GetCounters() => new(_received[1], _received[3], _received[4], _received[7], _received[8],
        _pools.Sum(static p => p.Offers), _pools.Sum(static p => p.Acks), _pools.Sum(static p => p.Naks), _pools.Sum(static p => p.Expired), _probes, _conflicts);

    /// <summary>The lease file's path, writes and failed writes (null when none is configured).</summary>
    public (string Path, long Writes, long Failures, string? LastError)? LeaseFileStatus =>
        _file is null ? null : (_file.Path, _file.Writes, _file.Failures, _file.LastError);
}
