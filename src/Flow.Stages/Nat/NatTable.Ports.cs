using Flow.Stages.Routing.Internal;

namespace Flow.Stages.Nat;

// External ports: preserved when free, otherwise drawn at random from the internal port's range
// (0-1023 or 1024-65535) with its parity (RFC 4787 REQ-3, REQ-4), so a remote cannot predict the
// next one; static port mappings hold theirs for good.
public sealed unsafe partial class NatTable
{
    /// <summary>Random draws before a mapping is refused for want of a port.</summary>
    private const int PortDraws = 256;

    private PortRandom _random;

    /// <summary>Mappings refused for want of a free port.</summary>
    public long PortsExhausted { get; private set; }

    /// <summary>
    /// Picks the external port on <paramref name="outsideAddress"/> for an internal port:
    /// itself if free (port preservation), else a random free one of its range and parity.
    /// </summary>
    public bool TryChoosePort(uint outsideAddress, ushort insidePort, byte protocol, out ushort port)
    {
        port = insidePort;
        if (insidePort != 0 && FindMappingByOutside(outsideAddress, insidePort, protocol) == None)
        {
            return true;
        }
        int low = insidePort < 1024 ? 2 : 1024;
        int span = insidePort < 1024 ? 1022 : 64512;
        int parity = insidePort & 1;
        for (int draw = 0; draw < PortDraws; draw++)
        {
            int candidate = low + (int)(_random.Next() % (uint)span);
            candidate = (candidate & ~1) | parity;
            if (FindMappingByOutside(outsideAddress, (ushort)candidate, protocol) == None)
            {
                port = (ushort)candidate;
                return true;
            }
        }
        PortsExhausted++;
        return false;
    }

    /// <summary>
    /// Adds a static port mapping: <paramref name="outsidePort"/> on <paramref name="outsideAddress"/>
    /// to the internal endpoint, for good. Null when added; otherwise why not (the port is taken,
    /// the endpoint has a mapping of its own, the table is full).
    /// </summary>
    public string? AddStatic(byte protocol, uint outsideAddress, ushort outsidePort, uint insideAddress, ushort insidePort)
    {
        if (outsideAddress == 0)
        {
            // Waits for the first learned address (ReplaceAddresses).
            _pendingStatics.Add(new NatStaticMapping(protocol, 0, outsidePort, insideAddress, insidePort));
            return null;
        }
        int existing = FindMappingByOutside(outsideAddress, outsidePort, protocol);
        if (existing != None)
        {
            ref NatMappingEntry e = ref _mappings[existing];
            return e.IsStatic && e.InsideAddress == insideAddress && e.InsidePort == insidePort
                ? null
                : $"external port {outsidePort} is in use by {(e.IsStatic ? "a port mapping" : "a dynamic mapping")} of {RouteConfiguration.Text(e.InsideAddress)}:{e.InsidePort}";
        }
        if (FindMappingKey(insideAddress, insidePort, protocol, 0, 0) is int own && own != None)
        {
            return $"{RouteConfiguration.Text(insideAddress)}:{insidePort} already has a mapping to external port {_mappings[own].OutsidePort}";
        }
        if (!HasFreeMapping)
        {
            return "the mapping table is full";
        }
        AddMapping(insideAddress, insidePort, protocol, outsideAddress, outsidePort, 0, 0, isStatic: true);
        return null;
    }

    /// <summary>Removes a static port mapping and ends the sessions on it; false if there is none on that port.</summary>
    public bool RemoveStatic(byte protocol, uint outsideAddress, ushort outsidePort)
    {
        int mapping = FindMappingByOutside(outsideAddress, outsidePort, protocol);
        if (mapping == None || !_mappings[mapping].IsStatic)
        {
            return false;
        }
        _mappings[mapping].IsStatic = false;
        int s = _mappings[mapping].FirstSession;
        if (s == None)
        {
            RemoveMapping(mapping);
            return true;
        }
        while (s != None)
        {
            int next = _sessions[s].MappingNext;
            Remove(s);
            s = next;
        }
        return true;
    }

    private readonly List<NatStaticMapping> _pendingStatics = [];

    /// <summary>
    /// The external addresses changed (a DHCP lease bound, renewed to another address, or
    /// expired): every session and dynamic mapping ends — their external endpoints are gone — and
    /// port mappings move to the new first address. Returns the sessions ended.
    /// </summary>
    public int ReplaceAddresses(uint[] addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var statics = new List<NatStaticMapping>(_pendingStatics);
        _pendingStatics.Clear();
        int ended = SessionCount;
        for (int i = 0; i < _unusedMapping; i++)
        {
            ref NatMappingEntry m = ref _mappings[i];
            if (m.Protocol != 0 && m.IsStatic)
            {
                statics.Add(new NatStaticMapping(m.Protocol, 0, m.OutsidePort, m.InsideAddress, m.InsidePort));
                RemoveStatic(m.Protocol, m.OutsideAddress, m.OutsidePort);
            }
        }
        for (int i = 0; i < _unusedSession; i++)
        {
            if (_sessions[i].Protocol != 0)
            {
                Remove(i);
            }
        }
        Addresses = [.. addresses];
        foreach (NatStaticMapping m in statics)
        {
            AddStatic(m.Protocol, addresses.Length > 0 ? addresses[0] : 0, m.OutsidePort, m.InsideAddress, m.InsidePort);
        }
        return ended;
    }

    /// <summary>xoshiro128**, seeded from the system's random number generator when the table is made.</summary>
    private struct PortRandom(ulong seed)
    {
        private uint _s0 = (uint)seed | 1;
        private uint _s1 = (uint)(seed >> 32) | 2;
        private uint _s2 = 0x9E3779B9;
        private uint _s3 = 0x7F4A7C15;

        public uint Next()
        {
            uint result = System.Numerics.BitOperations.RotateLeft(_s1 * 5, 7) * 9;
            uint t = _s1 << 9;
            _s2 ^= _s0;
            _s3 ^= _s1;
            _s1 ^= _s2;
            _s0 ^= _s3;
            _s2 ^= t;
            _s3 = System.Numerics.BitOperations.RotateLeft(_s3, 11);
            return result;
        }
    }
}
