using System.Runtime.CompilerServices;
using Flow.Stages.Vlan;

namespace Flow.Stages.Switching;

/// <summary>
/// The switch's ports compiled for the data path: input-port id → port index, each port's
/// VLAN membership as a 4096-bit set, and each VLAN's member ports (the flood list). Immutable:
/// a change (<see cref="WithPort"/>) makes a new table, which control messages hand to the
/// stages, so a stage never sees a half-changed table.
/// </summary>
public sealed class SwitchPortTable
{
    /// <summary>VLAN ids usable for traffic: 0 means "priority tag only", 4095 is reserved (IEEE 802.1Q-2018 table 9-2).</summary>
    public const ushort MinVlan = 1;

    public const ushort MaxVlan = 4094;

    /// <summary>Ports a switch may have: a port index must fit the forwarder's byte-sized <c>Emit</c>.</summary>
    public const int MaxPorts = 255;

    private const int VlanWords = 4096 / 64;

    private readonly SwitchPortOptions[] _ports;
    private readonly short[] _indexById;
    private readonly VlanPortMode[] _modes;
    private readonly ushort[] _accessVlan;
    private readonly ushort[] _nativeVlan;       // 0: none
    private readonly bool[] _qinqTransit;
    private readonly ulong[] _members;           // port-major, VlanWords per port
    private readonly ushort[][] _flood;          // per VLAN: member port indexes, ascending

    private SwitchPortTable(SwitchPortOptions[] ports)
    {
        _ports = ports;
        int maxId = 0;
        var ids = new ushort[ports.Length];
        for (int i = 0; i < ports.Length; i++)
        {
            ids[i] = ports[i].Id ?? (ushort)i;
            maxId = Math.Max(maxId, ids[i]);
        }
        _indexById = new short[maxId + 1];
        _indexById.AsSpan().Fill(-1);
        _modes = new VlanPortMode[ports.Length];
        _accessVlan = new ushort[ports.Length];
        _nativeVlan = new ushort[ports.Length];
        _qinqTransit = new bool[ports.Length];
        _members = new ulong[ports.Length * VlanWords];
        for (int p = 0; p < ports.Length; p++)
        {
            SwitchPortOptions port = ports[p];
            _indexById[ids[p]] = (short)p;
            _modes[p] = port.Mode;
            Span<ulong> set = _members.AsSpan(p * VlanWords, VlanWords);
            if (port.Mode == VlanPortMode.Access)
            {
                _accessVlan[p] = port.Vlan;
                Set(set, port.Vlan);
                continue;
            }
            _nativeVlan[p] = port.NativeVlan ?? 0;
            _qinqTransit[p] = port.QinqTransit;
            if (port.NativeVlan is ushort native)
            {
                Set(set, native);
            }
            if (port.AllowedVlans.Count == 0)
            {
                for (int v = MinVlan; v <= MaxVlan; v++)
                {
                    Set(set, v);
                }
            }
            foreach (ushort v in port.AllowedVlans)
            {
                Set(set, v);
            }
        }
        _flood = new ushort[4096][];
        var members = new List<ushort>(ports.Length);
        for (int v = 0; v < 4096; v++)
        {
            members.Clear();
            for (int p = 0; p < ports.Length; p++)
            {
                if (IsMember(p, v))
                {
                    members.Add((ushort)p);
                }
            }
            _flood[v] = members.Count == 0 ? [] : members.ToArray();
        }
        Ids = ids;
    }

    /// <summary>The ports as configured, in index order.</summary>
    public IReadOnlyList<SwitchPortOptions> Ports => _ports;

    /// <summary>Each port's input-port id, in index order.</summary>
    public IReadOnlyList<ushort> Ids { get; }

    public int Count => _ports.Length;

    /// <summary>Validates <paramref name="ports"/> (collecting every problem) and compiles them.</summary>
    public static SwitchPortTable Create(IReadOnlyList<SwitchPortOptions>? ports)
    {
        var errors = new List<string>();
        if (ports is null || ports.Count == 0)
        {
            throw new SwitchConfigurationException("a switch needs at least one port: 'Ports' is empty");
        }
        if (ports.Count > MaxPorts)
        {
            errors.Add($"a switch has at most {MaxPorts} ports; {ports.Count} are configured");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        var ids = new Dictionary<ushort, string>();
        for (int i = 0; i < ports.Count; i++)
        {
            SwitchPortOptions port = ports[i];
            string where = $"port {i} ('{port.Name}')";
            if (!IsValidName(port.Name))
            {
                errors.Add($"{where}: name '{port.Name}' is not valid; use lower-case letters, digits and '_', starting with a letter");
            }
            else if (!names.Add(port.Name))
            {
                errors.Add($"{where}: name '{port.Name}' is used by another port");
            }
            ushort id = port.Id ?? (ushort)i;
            if (!ids.TryAdd(id, port.Name))
            {
                errors.Add($"{where}: id {id} is also the id of port '{ids[id]}'; each port's rx stage must stamp its own InputPort");
            }
            ValidateMode(port, where, errors);
        }
        if (errors.Count > 0)
        {
            throw new SwitchConfigurationException(errors);
        }
        return new SwitchPortTable(ports.ToArray());
    }

    /// <summary>
    /// A table where the port named <paramref name="port"/>.Name has <paramref name="port"/>'s
    /// VLAN mode; its id and position stay as they are.
    /// </summary>
    public SwitchPortTable WithPort(SwitchPortOptions port)
    {
        ArgumentNullException.ThrowIfNull(port);
        int index = IndexOf(port.Name);
        if (index < 0)
        {
            throw new SwitchConfigurationException(
                $"no switch port is named '{port.Name}'; the ports are {string.Join(", ", _ports.Select(p => p.Name))}");
        }
        var errors = new List<string>();
        ValidateMode(port, $"port '{port.Name}'", errors);
        if (port.Id is ushort id && id != Ids[index])
        {
            errors.Add($"port '{port.Name}': id {id} differs from its id {Ids[index]}; a port's id cannot change while the switch runs");
        }
        if (errors.Count > 0)
        {
            throw new SwitchConfigurationException(errors);
        }
        SwitchPortOptions[] ports = (SwitchPortOptions[])_ports.Clone();
        ports[index] = port with { Id = Ids[index] };
        return new SwitchPortTable(ports);
    }

    /// <summary>Index of the port named <paramref name="name"/>, or -1.</summary>
    public int IndexOf(string name) => Array.FindIndex(_ports, p => p.Name == name);

    /// <summary>Index of the port whose frames carry input-port <paramref name="id"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int IndexOfId(uint id)
    {
        short[] byId = _indexById;
        return id < (uint)byId.Length ? byId[id] : -1;
    }

    public VlanPortMode ModeOf(int port) => _modes[port];

    /// <summary>The VLAN an untagged (or priority-tagged) frame on <paramref name="port"/> belongs to; 0 when it has none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ushort UntaggedVlan(int port) => _modes[port] == VlanPortMode.Access ? _accessVlan[port] : _nativeVlan[port];

    /// <summary>True when <paramref name="port"/> takes frames with a second tag (<see cref="SwitchPortOptions.QinqTransit"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool CarriesQinq(int port) => _qinqTransit[port];

    /// <summary>True when <paramref name="port"/> carries <paramref name="vlan"/> (tagged or untagged).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsMember(int port, int vlan) =>
        (_members[(port * VlanWords) + (vlan >> 6)] & (1UL << (vlan & 63))) != 0;

    /// <summary>True when frames of <paramref name="vlan"/> leave <paramref name="port"/> tagged: a trunk port, not its native VLAN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool SendsTagged(int port, int vlan) => _modes[port] == VlanPortMode.Trunk && _nativeVlan[port] != vlan;

    /// <summary>Member ports of <paramref name="vlan"/>, ascending: where its floods go.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<ushort> Members(int vlan) => _flood[vlan & 0xFFF];

    /// <summary>The forwarder's output port names, in index order.</summary>
    public IReadOnlyList<string> Names => _ports.Select(p => p.Name).ToArray();

    private static void ValidateMode(SwitchPortOptions port, string where, List<string> errors)
    {
        if (port.Mode == VlanPortMode.Access)
        {
            if (!IsUsableVlan(port.Vlan))
            {
                errors.Add($"{where}: access VLAN {port.Vlan} is out of range {MinVlan} to {MaxVlan}");
            }
            if (port.NativeVlan is not null || port.AllowedVlans.Count > 0)
            {
                errors.Add($"{where}: NativeVlan and AllowedVlans apply to trunk ports; this port is in access mode");
            }
            if (port.QinqTransit)
            {
                errors.Add($"{where}: QinqTransit applies to trunk ports; an access port never takes a second tag");
            }
            return;
        }
        if (port.Mode != VlanPortMode.Trunk)
        {
            errors.Add($"{where}: mode {(int)port.Mode} is neither access nor trunk");
            return;
        }
        if (port.NativeVlan is ushort native && !IsUsableVlan(native))
        {
            errors.Add($"{where}: native VLAN {native} is out of range {MinVlan} to {MaxVlan}");
        }
        foreach (ushort v in port.AllowedVlans)
        {
            if (!IsUsableVlan(v))
            {
                errors.Add($"{where}: allowed VLAN {v} is out of range {MinVlan} to {MaxVlan}");
            }
        }
    }

    public static bool IsUsableVlan(int vlan) => vlan is >= MinVlan and <= MaxVlan;

    private static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name[0] is < 'a' or > 'z')
        {
            return false;
        }
        foreach (char c in name)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
            {
                return false;
            }
        }
        return true;
    }

    private static void Set(Span<ulong> set, int vlan) => set[vlan >> 6] |= 1UL << (vlan & 63);
}
