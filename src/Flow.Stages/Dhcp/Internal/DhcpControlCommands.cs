using System.Globalization;
using Flow.Stages.Ipv4.Internal;

namespace Flow.Stages.Dhcp.Internal;

/// <summary>
/// The DHCP verbs, declared by <see cref="DhcpServer"/> (<c>dhcp_server</c>): <c>dhcp leases</c>
/// lists each server's leases with the network of the pool each is in; <c>dhcp show</c> each
/// server's settings and counters, each of its pools (role <c>pool &lt;network&gt;</c>: range,
/// options, occupancy, counters), and each <c>dhcp_client</c>'s state, address and lease times.
/// Every server, or the one <c>--stage</c> names.
/// </summary>
internal static class DhcpControlCommands
{
    public static IReadOnlyList<IControlCommand> All { get; } =
    [
        new RouterControlCommand("dhcp leases", "DHCP server leases: address, state (bound, offered, declined, free), client MAC and identifier, host name, " +
            "seconds left, and the network of its pool (lan's or a relayed subnet's). Free addresses appear when they remember their last client; " +
            "--all true lists the whole ranges.",
            [new("all", "true: list every address of the ranges.", ControlValue.OneOf("true", "false"))], LeasesAsync),
        new RouterControlCommand("dhcp show", "DHCP servers (settings, counters, lease file; each pool's range, options handed out, addresses in use " +
            "and counters) and DHCP clients (state, address, server, router, DNS, lease, T1/T2 and expiry in seconds, counters).", [], ShowAsync),
    ];

    private static IReadOnlyList<string> Servers(ControlRequest request) => request.Stage is null ? request.ServedBy : [request.ServingStage()];

    private static async Task<ControlReply> LeasesAsync(ControlRequest request)
    {
        bool all = request.Optional("all") == "true";
        var rows = new List<IReadOnlyList<string>>();
        int bound = 0;
        foreach (string stage in Servers(request))
        {
            IReadOnlyList<DhcpLeaseEntry> leases = await request.Graph.InvokeAsync<DhcpServer, IReadOnlyList<DhcpLeaseEntry>>(stage, s => s.GetLeases(all)).ConfigureAwait(false);
            foreach (DhcpLeaseEntry lease in leases)
            {
                bound += lease.State == DhcpLeaseState.Bound ? 1 : 0;
                rows.Add([stage, lease.Address, lease.State.ToString().ToLowerInvariant(), lease.Mac, lease.ClientId, lease.HostName ?? "", Text(lease.SecondsLeft),
                    lease.Network]);
            }
        }
        return ControlReply.Table(["stage", "address", "state", "mac", "client_id", "host_name", "seconds_left", "network"], rows, $"{Text(bound)} bound");
    }

    private static async Task<ControlReply> ShowAsync(ControlRequest request)
    {
        var rows = new List<IReadOnlyList<string>>();
        foreach (string stage in Servers(request))
        {
            (DhcpServerOptions options, IReadOnlyList<DhcpPoolStatus> pools, IReadOnlyList<string> dns, DhcpServerCounters counters,
                (string Path, long Writes, long Failures, string? LastError)? file) =
                await request.Graph.InvokeAsync<DhcpServer, (DhcpServerOptions, IReadOnlyList<DhcpPoolStatus>, IReadOnlyList<string>, DhcpServerCounters, (string, long, long, string?)?)>(
                    stage, static s => (s.Options, s.GetPools(), s.DnsServers, s.GetCounters(), s.LeaseFileStatus)).ConfigureAwait(false);
            void Row(string name, string value) => rows.Add([stage, "server", name, value]);
            Row("enabled", options.Enabled ? "true" : "false");
            Row("interface", options.Interface);
            Row("lease_time", Text((long)options.LeaseTime.TotalSeconds));
            Row("dns", string.Join(",", dns));
            Row("lease_file", file?.Path ?? "");
            if (file is { } f)
            {
                Row("lease_file_writes", Text(f.Writes));
                Row("lease_file_failures", Text(f.Failures));
            }
            Row("received_discover", Text(counters.Discovers));
            Row("received_request", Text(counters.Requests));
            Row("received_decline", Text(counters.Declines));
            Row("received_release", Text(counters.Releases));
            Row("received_inform", Text(counters.Informs));
            Row("sent_offer", Text(counters.Offers));
            Row("sent_ack", Text(counters.Acks));
            Row("sent_nak", Text(counters.Naks));
            Row("leases_expired", Text(counters.Expired));
            Row("sent_arp_probe", Text(counters.Probes));
            Row("address_in_use", Text(counters.AddressesInUse));
            foreach (DhcpPoolStatus pool in pools)
            {
                // One role per pool, so each pool's rows keep the server's names (sent_offer, ...).
                void PoolRow(string name, string value) => rows.Add([stage, $"pool {pool.Network}", name, value]);
                PoolRow("range", pool.Range);
                PoolRow("router", pool.Router);
                PoolRow("lease_time", Text(pool.LeaseSeconds));
                PoolRow("dns", string.Join(",", pool.Dns));
                PoolRow("pool_size", Text(pool.Size));
                PoolRow("bound", Text(pool.Bound));
                PoolRow("offered", Text(pool.Offered));
                PoolRow("declined", Text(pool.Declined));
                PoolRow("sent_offer", Text(pool.Offers));
                PoolRow("sent_ack", Text(pool.Acks));
                PoolRow("sent_nak", Text(pool.Naks));
                PoolRow("pool_exhausted", Text(pool.Exhausted));
                PoolRow("leases_expired", Text(pool.Expired));
            }
        }
        GraphStats stats = request.Graph.GetStats();
        foreach (string stage in Servers(request))
        {
            foreach (DropCount drop in stats.Stages.FirstOrDefault(s => s.Name == stage)?.Drops ?? [])
            {
                rows.Add([stage, "server", $"drop_{drop.Reason}", Text(drop.Packets)]);
            }
        }
        if (request.Stage is null)
        {
            foreach (StageInfo client in request.Graph.Stages.Where(s => s.Stage is DhcpClient))
            {
                DhcpClientStatus status = await request.Graph.InvokeAsync<DhcpClient, DhcpClientStatus>(client.Name, static c => c.GetStatus()).ConfigureAwait(false);
                void Row(string name, string value) => rows.Add([client.Name, "client", name, value]);
                Row("interface", status.Interface);
                Row("state", status.State.ToString().ToLowerInvariant());
                Row("address", status.Address ?? "");
                Row("server", status.Server ?? "");
                Row("router", status.Router ?? "");
                Row("dns", string.Join(",", status.Dns));
                Row("lease_time", Text(status.LeaseSeconds));
                Row("renew_in", Text(status.RenewInSeconds));
                Row("rebind_in", Text(status.RebindInSeconds));
                Row("expires_in", Text(status.ExpiresInSeconds));
                Row("sent_discover", Text(status.Discovers));
                Row("sent_request", Text(status.Requests));
                Row("sent_release", Text(status.Releases));
                Row("received_offer", Text(status.Offers));
                Row("received_ack", Text(status.Acks));
                Row("received_nak", Text(status.Naks));
                Row("bound", Text(status.Bindings));
                Row("expired", Text(status.Expirations));
                Row("sent_arp_probe", Text(status.Probes));
                Row("address_claimed", Text(status.Conflicts));
                Row("sent_decline", Text(status.Declines));
            }
        }
        return ControlReply.Table(["stage", "role", "name", "value"], rows);
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
