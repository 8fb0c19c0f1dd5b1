using System.Globalization;
using System.Runtime.CompilerServices;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Ipv4;

namespace Flow.Stages.Ipv4;

/// <summary>
/// The router's interfaces compiled for the data path: input-port id → interface index, each
/// interface's MAC as a 48-bit key, its primary address, and every own address and attached
/// subnet broadcast. Immutable: stages share one instance and a change builds a new one.
/// Addresses are host-order <see cref="uint"/>s.
/// </summary>
/// <remarks>
/// Own addresses and broadcasts are searched linearly: a router has a handful of addresses, and
/// a scan of a few contiguous words costs less than hashing (grout keeps interface addresses in
/// a small per-interface array too).
/// </remarks>
public sealed class RouterInterfaceTable
{
    /// <summary>Interfaces a router may have; input-port ids are looked up in a table this size at most.</summary>
    public const int MaxInterfaces = 1024;

    /// <summary><see cref="MacKey(byte*)"/> of ff:ff:ff:ff:ff:ff.</summary>
    public const ulong BroadcastMacKey = 0xFFFF_FFFF_FFFF;

    private readonly RouterInterfaceOptions[] _interfaces;
    private readonly short[] _indexById;
    private readonly ulong[] _macKeys;
    private readonly MacAddress[] _macs;
    private readonly uint[] _primary;           // per interface; 0: no address
    private readonly uint[] _own;               // every own address
    private readonly byte[] _ownPrefix;         // its prefix length
    private readonly uint[] _broadcasts;        // directed broadcast of each attached prefix up to /30

    private RouterInterfaceTable(RouterInterfaceOptions[] interfaces, ushort[] ids, MacAddress[] macs,
        List<(uint Address, int Prefix, int Interface)> addresses)
    {
        _interfaces = interfaces;
        _indexById = new short[ids.Max() + 1];
        _indexById.AsSpan().Fill(-1);
        _macKeys = new ulong[interfaces.Length];
        _macs = macs;
        _primary = new uint[interfaces.Length];
        for (int i = 0; i < interfaces.Length; i++)
        {
            _indexById[ids[i]] = (short)i;
            _macKeys[i] = macs[i].ToUInt64();
        }
        _own = new uint[addresses.Count];
        _ownPrefix = new byte[addresses.Count];
        var broadcasts = new List<uint>();
        for (int a = 0; a < addresses.Count; a++)
        {
            (uint address, int prefix, int owner) = addresses[a];
            _own[a] = address;
            _ownPrefix[a] = (byte)prefix;
            if (_primary[owner] == 0)
            {
                _primary[owner] = address;
            }
            if (prefix <= 30)
            {
                uint broadcast = address | ~PrefixMask(prefix);
                if (!broadcasts.Contains(broadcast))
                {
                    broadcasts.Add(broadcast);
                }
            }
        }
        _broadcasts = [.. broadcasts];
    }

    public int Count => _interfaces.Length;

    /// <summary>The interfaces as configured, in index order.</summary>
    public IReadOnlyList<RouterInterfaceOptions> Interfaces => _interfaces;

    /// <summary>The interface whose frames carry input-port id <paramref name="id"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int IndexOfId(ushort id)
    {
        short[] byId = _indexById;
        return id < (uint)byId.Length ? byId[id] : -1;
    }

    /// <summary>The interface's MAC as a <see cref="MacKey(byte*)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong MacKeyOf(int index) => _macKeys[index];

    public MacAddress MacOf(int index) => _macs[index];

    /// <summary>The interface's first address (host order), or 0 when it has none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint PrimaryAddressOf(int index) => _primary[index];

    /// <summary>True when <paramref name="address"/> is one of the router's own addresses, on any interface.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsOwnAddress(uint address)
    {
        uint[] own = _own;
        for (int i = 0; i < own.Length; i++)
        {
            if (own[i] == address)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>True when <paramref name="address"/> is the directed broadcast of a prefix attached to the router (RFC 1812 5.3.5.2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsSubnetBroadcast(uint address)
    {
        uint[] broadcasts = _broadcasts;
        for (int i = 0; i < broadcasts.Length; i++)
        {
            if (broadcasts[i] == address)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Own addresses with their prefixes, for control output.</summary>
    public IReadOnlyList<(Ipv4Address Address, int Prefix)> Addresses =>
        [.. _own.Select((a, i) => (new Ipv4Address(new Flow.Protocols.NetU32(a)), (int)_ownPrefix[i]))];

    /// <summary>The first 6 bytes at <paramref name="mac"/> as a number (native order), for one-compare MAC matching.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe ulong MacKey(byte* mac) => Unsafe.ReadUnaligned<uint>(mac) | (ulong)Unsafe.ReadUnaligned<ushort>(mac + 4) << 32;

    /// <summary>The mask of a prefix length 0..32, host order.</summary>
    public static uint PrefixMask(int prefix) => prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);

    /// <summary>
    /// Validates and compiles <paramref name="interfaces"/>; throws
    /// <see cref="RouterConfigurationException"/> naming every bad value.
    /// </summary>
    public static RouterInterfaceTable Create(IReadOnlyList<RouterInterfaceOptions> interfaces)
    {
        ArgumentNullException.ThrowIfNull(interfaces);
        var errors = new List<string>();
        if (interfaces.Count is 0 or > MaxInterfaces)
        {
            throw new RouterConfigurationException($"Interfaces: {interfaces.Count} given; between 1 and {MaxInterfaces} are allowed");
        }
        var ids = new ushort[interfaces.Count];
        var macs = new MacAddress[interfaces.Count];
        var names = new HashSet<string>(StringComparer.Ordinal);
        var seenIds = new Dictionary<ushort, string>();
        var addresses = new List<(uint Address, int Prefix, int Interface)>();
        for (int i = 0; i < interfaces.Count; i++)
        {
            RouterInterfaceOptions item = interfaces[i];
            string where = $"interface '{item.Name}'";
            if (!IsLowerSnake(item.Name))
            {
                errors.Add($"Interfaces[{i}]: name '{item.Name}' is not valid; use lower-case letters, digits and '_', starting with a letter");
            }
            else if (!names.Add(item.Name))
            {
                errors.Add($"{where}: the name is given twice");
            }
            ids[i] = item.Id ?? (ushort)i;
            if (ids[i] >= MaxInterfaces)
            {
                errors.Add($"{where}: Id {ids[i]} is out of range 0 to {MaxInterfaces - 1}");
                ids[i] = 0;
            }
            else if (!seenIds.TryAdd(ids[i], item.Name))
            {
                errors.Add($"{where}: Id {ids[i]} is already interface '{seenIds[ids[i]]}'");
            }
            if (!TryParseMac(item.Mac, out macs[i]))
            {
                errors.Add($"{where}: Mac '{item.Mac}' is not a MAC address like 02:00:00:00:00:01");
            }
            else if (macs[i].IsMulticast || macs[i] == default)
            {
                errors.Add($"{where}: Mac {item.Mac} is not a unicast address");
            }
            if (item.Mtu is < 68 or > 65535)
            {
                errors.Add($"{where}: Mtu {item.Mtu} is out of range 68 to 65535");
            }
            foreach (string text in item.StaticAddresses)
            {
                if (!TryParsePrefix(text, out uint address, out int prefix))
                {
                    errors.Add($"{where}: address '{text}' is not an IPv4 address with a prefix length 1 to 32, like 192.168.1.1/24");
                    continue;
                }
                if (!IsUnicastHost(address))
                {
                    errors.Add($"{where}: address '{text}' is not a unicast host address (0/8, 127/8, 224/4 and 240/4 are not)");
                    continue;
                }
                uint host = address & ~PrefixMask(prefix);
                if (prefix <= 30 && (host == 0 || host == ~PrefixMask(prefix)))
                {
                    errors.Add($"{where}: address '{text}' is the network or broadcast address of its prefix");
                    continue;
                }
                if (addresses.Any(a => a.Address == address))
                {
                    errors.Add($"{where}: address '{text}' is already an address of the router");
                    continue;
                }
                addresses.Add((address, prefix, i));
            }
        }
        if (errors.Count > 0)
        {
            throw new RouterConfigurationException(errors);
        }
        return new RouterInterfaceTable([.. interfaces], ids, macs, addresses);
    }

    /// <summary>Not 0/8, 127/8, 224/4 or 240/4: an address a host may have (RFC 1122 3.2.1.3; RFC 1812 5.3.7).</summary>
    public static bool IsUnicastHost(uint address) => (address >> 24) is not 0 and not 127 && (address >> 28) < 0xE;

    private static bool IsLowerSnake(string name) =>
        name.Length > 0 && name[0] is >= 'a' and <= 'z' && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_');

    private static bool TryParseMac(string text, out MacAddress mac)
    {
        mac = default;
        string[] parts = text.Split(':', '-');
        if (parts.Length != 6)
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[6];
        for (int i = 0; i < 6; i++)
        {
            if (parts[i].Length != 2 || !byte.TryParse(parts[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes[i]))
            {
                return false;
            }
        }
        mac = new MacAddress(bytes);
        return true;
    }

    private static bool TryParsePrefix(string text, out uint address, out int prefix)
    {
        address = 0;
        prefix = 0;
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix is < 1 or > 32)
        {
            return false;
        }
        string[] octets = text[..slash].Split('.');
        if (octets.Length != 4)
        {
            return false;
        }
        foreach (string octet in octets)
        {
            if (octet.Length is 0 or > 3 || !byte.TryParse(octet, NumberStyles.None, CultureInfo.InvariantCulture, out byte b))
            {
                return false;
            }
            address = address << 8 | b;
        }
        return true;
    }
}
