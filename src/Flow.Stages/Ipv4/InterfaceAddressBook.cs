using System.Collections.Immutable;
using System.Globalization;
using Flow.Protocols;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Ipv4;

namespace Flow.Stages.Ipv4;

/// <summary>
/// Addresses the router learns while it runs — a <c>dhcp_client</c>'s lease on an interface
/// configured with the address <c>dhcp</c> — and the DNS servers learned with them, shared by
/// every router stage of one service provider (like the <see cref="Routing.Ipv4RouteTable"/>).
/// </summary>
/// <remarks>
/// Design: the book is an immutable <see cref="Snapshot"/> behind one reference. A writer (the
/// DHCP client of an interface, one per interface) builds a new snapshot and publishes it with a
/// compare-and-swap; readers load the reference with a volatile read at a
/// batch boundary (their <see cref="Stage.Tick"/>) and rebuild their
/// <see cref="RouterInterfaceTable"/> only when it is not the one they saw last, so the data path
/// pays one load per tick and never sees a half-made change. Stages read the change within one
/// tick of their worker (64 passes), which is fast enough for an address that a lease installs.
/// </remarks>
public sealed class InterfaceAddressBook
{
    private Snapshot _current = Snapshot.Empty;
    private AddressCheck[] _checks = [];

    /// <summary>An address learned on an interface (host order), its prefix length, the DNS servers that came with it, and the router (0: none offered).</summary>
    public sealed record LearnedAddress(uint Address, int Prefix, IReadOnlyList<uint> DnsServers, uint Router = 0)
    {
        /// <summary>The address as an interface entry, <c>a.b.c.d/n</c>.</summary>
        public string Text => $"{new Ipv4Address(new NetU32(Address))}/{Prefix.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>One state of the book; compare references to see a change.</summary>
    public sealed class Snapshot
    {
        internal static readonly Snapshot Empty = new(ImmutableDictionary<string, LearnedAddress>.Empty.WithComparers(StringComparer.Ordinal), 0);

        internal Snapshot(ImmutableDictionary<string, LearnedAddress> learned, long version)
        {
            Learned = learned;
            Version = version;
        }

        /// <summary>Learned addresses by interface name.</summary>
        public ImmutableDictionary<string, LearnedAddress> Learned { get; }

        /// <summary>Changes published before this one.</summary>
        public long Version { get; }
    }

    /// <summary>The book as it is now (a volatile read: safe from any thread).</summary>
    public Snapshot Current => Volatile.Read(ref _current);

    /// <summary>The address learned on <paramref name="interfaceName"/>, or null.</summary>
    public LearnedAddress? Get(string interfaceName) => Current.Learned.GetValueOrDefault(interfaceName);

    /// <summary>Every DNS server learned on any interface, in interface-name order, each once.</summary>
    public IReadOnlyList<uint> DnsServers
    {
        get
        {
            var servers = new List<uint>();
            foreach (KeyValuePair<string, LearnedAddress> entry in Current.Learned.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                foreach (uint server in entry.Value.DnsServers)
                {
                    if (!servers.Contains(server))
                    {
                        servers.Add(server);
                    }
                }
            }
            return servers;
        }
    }

    /// <summary>Publishes <paramref name="address"/> as <paramref name="interfaceName"/>'s learned address, or removes it (null).</summary>
    public void Set(string interfaceName, LearnedAddress? address)
    {
        ArgumentNullException.ThrowIfNull(interfaceName);
        while (true)
        {
            Snapshot seen = Volatile.Read(ref _current);
            ImmutableDictionary<string, LearnedAddress> learned = address is null ? seen.Learned.Remove(interfaceName) : seen.Learned.SetItem(interfaceName, address);
            if (ReferenceEquals(learned, seen.Learned))
            {
                return;
            }
            // The swap publishes the whole snapshot at once; a reader loads either the old or the new one.
            if (ReferenceEquals(Interlocked.CompareExchange(ref _current, new Snapshot(learned, seen.Version + 1), seen), seen))
            {
                return;
            }
        }
    }

    /// <summary>True while some address is being checked: the one read <c>arp</c> pays per ARP packet otherwise.</summary>
    public bool HasChecks => Volatile.Read(ref _checks).Length != 0;

    /// <summary>
    /// Starts checking <paramref name="address"/> (host order) for <paramref name="interfaceName"/>:
    /// claims by hosts other than <paramref name="owner"/> are recorded on the check until <see cref="EndCheck"/>.
    /// </summary>
    public AddressCheck BeginCheck(string interfaceName, uint address, MacAddress? owner = null)
    {
        ArgumentNullException.ThrowIfNull(interfaceName);
        var check = new AddressCheck(interfaceName, address, owner);
        Update(checks => [.. checks, check]);
        return check;
    }

    /// <summary>Stops recording claims for <paramref name="check"/>.</summary>
    public void EndCheck(AddressCheck check) => Update(checks => Array.FindAll(checks, c => c != check));

    /// <summary>
    /// An ARP packet from <paramref name="claimant"/> on <paramref name="interfaceName"/> said it
    /// holds <paramref name="address"/> (its sender address), or probes for it: recorded on the
    /// check of that address, if one runs. No allocation.
    /// </summary>
    public void ReportClaim(string interfaceName, uint address, MacAddress claimant)
    {
        AddressCheck[] checks = Volatile.Read(ref _checks);
        for (int i = 0; i < checks.Length; i++)
        {
            if (checks[i].Address == address && checks[i].Interface == interfaceName)
            {
                checks[i].Claim(claimant);
            }
        }
    }

    // Copy on write: readers load the array once and never see it change.
    private void Update(Func<AddressCheck[], AddressCheck[]> change)
    {
        while (true)
        {
            AddressCheck[] seen = Volatile.Read(ref _checks);
            if (ReferenceEquals(Interlocked.CompareExchange(ref _checks, change(seen), seen), seen))
            {
                return;
            }
        }
    }

    /// <summary>
    /// <paramref name="configured"/> with each <c>dhcp</c> entry followed by the address
    /// learned on that interface in <paramref name="snapshot"/> (none while it has no lease).
    /// </summary>
    public static IReadOnlyList<RouterInterfaceOptions> Apply(IReadOnlyList<RouterInterfaceOptions> configured, Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(configured);
        ArgumentNullException.ThrowIfNull(snapshot);
        var result = new RouterInterfaceOptions[configured.Count];
        for (int i = 0; i < configured.Count; i++)
        {
            RouterInterfaceOptions item = configured[i];
            result[i] = item.UsesDhcp && snapshot.Learned.TryGetValue(item.Name, out LearnedAddress? learned)
                ? item with { Addresses = [.. item.Addresses, learned.Text] }
                : item;
        }
        return result;
    }
}
