namespace Flow.Stages.Nat;

/// <summary>
/// The NAT tables of a service provider, by name: <c>nat_in</c> and <c>nat_out</c> of one NAT are
/// made separately and meet here, the first one making the table. Registered as a singleton by
/// <see cref="StagesRegistration.AddFlowNat"/>; disposing it frees every table.
/// </summary>
public sealed class NatTables : IDisposable
{
    private readonly Dictionary<string, NatTable> _tables = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private volatile NatOutside[] _outsides = [];

    /// <summary>
    /// The table named <paramref name="name"/>, made with <paramref name="settings"/> and its
    /// static <paramref name="portMappings"/> if it is new. Throws when a table of that name was
    /// made with other settings: two halves given different options are a configuration error.
    /// </summary>
    public NatTable GetOrCreate(string name, NatTableSettings settings, IReadOnlyList<NatStaticMapping> portMappings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(portMappings);
        lock (_lock)
        {
            if (_tables.TryGetValue(name, out NatTable? existing))
            {
                NatTableSettings had = existing.Settings;
                if (!had.Addresses.SequenceEqual(settings.Addresses) || had.Mapping != settings.Mapping || had.Filtering != settings.Filtering
                    || had.Timeouts != settings.Timeouts || had.MaxSessions != settings.MaxSessions || had.MaxSessionsPerHost != settings.MaxSessionsPerHost)
                {
                    throw new Ipv4.RouterConfigurationException([$"table: NAT '{name}' is used by stages with different options; give nat_in and nat_out the same " +
                        "(a reload changes a running NAT's port_mappings only: its other settings need a restart)"]);
                }
                return existing;
            }
            var table = new NatTable(settings);
            try
            {
                foreach (NatStaticMapping mapping in portMappings)
                {
                    if (table.AddStatic(mapping.Protocol, mapping.OutsideAddress, mapping.OutsidePort, mapping.InsideAddress, mapping.InsidePort) is string problem)
                    {
                        throw new Ipv4.RouterConfigurationException([$"port_mappings: {problem}"]);
                    }
                }
            }
            catch
            {
                table.Dispose();
                throw;
            }
            _tables.Add(name, table);
            return table;
        }
    }

    /// <summary>
    /// The outside interfaces of the enabled NATs made here: one for a router with one WAN; with
    /// several, each NAT asks the others whose a packet leaving by an outside interface is.
    /// </summary>
    internal NatOutside[] Outsides => _outsides;

    /// <summary>The enabled NAT whose outside interface is <paramref name="port"/>, or null (an inside port).</summary>
    internal NatOutside? OutsideOn(ushort port)
    {
        foreach (NatOutside outside in _outsides)
        {
            if (outside.Port == port)
            {
                return outside;
            }
        }
        return null;
    }

    /// <summary>
    /// Registers NAT <paramref name="name"/>'s outside interface, or returns the one its other half
    /// registered. Two NATs on one interface are a configuration error: which would a packet leaving
    /// by it belong to?
    /// </summary>
    internal NatOutside Outside(string name, ushort port, NatTable table, NatOneToOne[] oneToOne)
    {
        lock (_lock)
        {
            foreach (NatOutside existing in _outsides)
            {
                if (existing.Name == name)
                {
                    existing.OneToOne = oneToOne;
                    return existing;
                }
                if (existing.Port == port)
                {
                    throw new Ipv4.RouterConfigurationException([$"outside: NATs '{existing.Name}' and '{name}' both translate on port {port}; give each WAN interface one NAT"]);
                }
            }
            var outside = new NatOutside(name, port, table) { OneToOne = oneToOne };
            _outsides = [.. _outsides, outside];
            return outside;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (NatTable table in _tables.Values)
            {
                table.Dispose();
            }
            _tables.Clear();
            _outsides = [];
        }
    }
}
