using Flow.Stages.Dhcp.Internal;

namespace Flow.Stages.Dhcp;

// Control messages: run by the owning worker between batches (FlowGraph.InvokeAsync).
public sealed partial class DhcpServer
{
    /// <summary>The DHCP verbs, <c>dhcp leases</c> and <c>dhcp show</c> (which also reports the graph's <c>dhcp_client</c> stages).</summary>
    IReadOnlyList<IControlCommand> IControlledStage.ControlCommands => DhcpControlCommands.All;

    public DhcpServerOptions Options => _options;

    /// <summary>Addresses in the range, excluding the server's own and the network and broadcast addresses if they fall in it.</summary>
    public int PoolSize
    {
        get
        {
            int size = 0;
            for (uint a = _leases.First; a <= _leases.Last && a >= _leases.First; a++)
            {
                size += _leases.IndexOf(a) >= 0 ? 1 : 0;
            }
            return size;
        }
    }

    /// <summary>DNS servers handed out now (configured, or learned by the router's DHCP client).</summary>
    public IReadOnlyList<string> DnsServers => [.. _dns.Select(d => d.ToString())];

    /// <summary>The leases: every address bound, offered, declined or remembering a client; all of the range with <paramref name="all"/>.</summary>
    public IReadOnlyList<DhcpLeaseEntry> GetLeases(bool all = false) => _leases.Snapshot(_clock.NowNanoseconds, all);

    public DhcpServerCounters GetCounters() => new(_received[1], _received[3], _received[4], _received[7], _received[8], _offers, _acks, _naks, _expired, _probes, _conflicts);

    /// <summary>The lease file's path, writes and failed writes (null when none is configured).</summary>
    public (string Path, long Writes, long Failures, string? LastError)? LeaseFileStatus =>
        _file is null ? null : (_file.Path, _file.Writes, _file.Failures, _file.LastError);
}
