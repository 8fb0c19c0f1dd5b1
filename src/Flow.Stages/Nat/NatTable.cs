using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;

namespace Flow.Stages.Nat;

/// <summary>
/// The state of one NAT44: mappings (internal endpoint ↔ external address:port) and the sessions
/// that use them, in native memory sized once, so creating, finding, refreshing and expiring a
/// session allocates nothing and costs O(1): each is in two hash chains (by its internal and by
/// its external side), in its mapping's list, and in the least-recently-used list of its timeout
/// class, whose head is always the next to expire.
/// </summary>
/// <remarks>
/// Owned by one worker: <c>nat_in</c> and <c>nat_out</c> of one NAT run on the same worker and
/// share it; control verbs reach it through that worker's mailbox. Hash chains are keyed with a
/// secret chosen at start, so remote hosts cannot aim packets at one chain.
/// </remarks>
public sealed unsafe partial class NatTable : IDisposable
{
    private const int None = -1;

    private readonly NatSession* _sessions;
    private readonly NatMappingEntry* _mappings;
    private readonly int* _sessionInside;
    private readonly int* _sessionOutside;
    private readonly int* _mappingInside;
    private readonly int* _mappingOutside;
    private readonly uint _bucketMask;
    private readonly ulong _hashKey;
    private int _freeSession;
    private int _freeMapping;
    private int _unusedSession;
    private int _unusedMapping;
    private bool _disposed;

    public NatTable(NatTableSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.MaxSessions is < 1 or > 1 << 24)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), settings.MaxSessions, "max_sessions is from 1 to 16777216");
        }
        Settings = settings;
        Addresses = [.. settings.Addresses];
        Capacity = settings.MaxSessions;
        // Four buckets a session: chains stay short (a miss lookup walks 0.25 entries on average,
        // each a cache miss), measured 0.99 -> 1.04 M new sessions/s against two.
        int buckets = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Capacity * 4);
        _bucketMask = (uint)buckets - 1;
        _sessions = (NatSession*)NativeMemory.AlignedAlloc((nuint)Capacity * (nuint)sizeof(NatSession), 64);
        _mappings = (NatMappingEntry*)NativeMemory.AlignedAlloc((nuint)Capacity * (nuint)sizeof(NatMappingEntry), 64);
        _sessionInside = AllocBuckets(buckets);
        _sessionOutside = AllocBuckets(buckets);
        _mappingInside = AllocBuckets(buckets);
        _mappingOutside = AllocBuckets(buckets);
        // Entries are taken from the free lists (threaded through InsideNext), else from the
        // never-used tail, so the memory of a big table is touched only as it fills.
        _freeSession = None;
        _freeMapping = None;
        Span<byte> key = stackalloc byte[16];
        RandomNumberGenerator.Fill(key);
        _hashKey = MemoryMarshal.Read<ulong>(key) | 1;
        _random = new PortRandom(MemoryMarshal.Read<ulong>(key[8..]));
        _timeouts = settings.TimeoutsMilliseconds();
        for (int c = 0; c < AgeClasses; c++)
        {
            _ageHead[c] = None;
            _ageTail[c] = None;
        }
        _hosts = settings.MaxSessionsPerHost > 0 ? new HostCounts(Capacity) : null;
    }

    public NatTableSettings Settings { get; }

    /// <summary>
    /// The external addresses now (host order): the settings', or what a DHCP client learned on the
    /// outside interface (<see cref="ReplaceAddresses"/>). Empty: nothing can be translated.
    /// </summary>
    public uint[] Addresses { get; private set; }

    /// <summary>What the NAT's stages did with packets.</summary>
    public NatCounters Counters { get; } = new();

    /// <summary>Most sessions at once (and most mappings).</summary>
    public int Capacity { get; }

    /// <summary>Whether <paramref name="address"/> (host order) is one of <see cref="Addresses"/>.</summary>
    public bool IsExternal(uint address)
    {
        foreach (uint a in Addresses)
        {
            if (a == address)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Sessions now.</summary>
    public int SessionCount { get; private set; }

    /// <summary>Mappings now, static ones included.</summary>
    public int MappingCount { get; private set; }

    /// <summary>Sessions made since start.</summary>
    public long SessionsCreated { get; private set; }

    /// <summary>Sessions ended by their idle timeout.</summary>
    public long SessionsExpired { get; private set; }

    public ref NatSession Session(int index) => ref _sessions[index];

    public ref NatMappingEntry Mapping(int index) => ref _mappings[index];

    /// <summary>
    /// First step of prefetching an outbound packet's lines: asks for the bucket its session is
    /// chained from and returns the bucket's index for <see cref="PrefetchOutboundSecond"/>.
    /// Called for a chunk of packets before any is translated, so their misses overlap.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint PrefetchOutboundFirst(uint insideAddress, ushort insidePort, uint remoteAddress, ushort remotePort, byte protocol)
    {
        uint bucket = Bucket(insideAddress, remoteAddress, insidePort, remotePort, protocol);
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(_sessionInside + bucket);
        }
        return bucket;
    }

    /// <summary>
    /// Second step, once the bucket has arrived: asks for the session it chains to, or — a chain
    /// that is empty, a new session to make — for the three buckets making one reads (mapping by
    /// inside, external port in use, session by outside, assuming the port is kept).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PrefetchOutboundSecond(uint bucket, uint insideAddress, ushort insidePort, uint remoteAddress, ushort remotePort, byte protocol)
    {
        if (!Sse.IsSupported)
        {
            return;
        }
        int head = _sessionInside[bucket];
        if (head != None)
        {
            Sse.Prefetch0(_sessions + head);
            return;
        }
        if (Addresses.Length == 0)
        {
            return;
        }
        uint outside = PairedAddress(insideAddress);
        Sse.Prefetch0(_mappingInside + Bucket(insideAddress, 0, insidePort, 0, protocol));
        Sse.Prefetch0(_mappingOutside + Bucket(outside, 0, insidePort, 0, protocol));
        Sse.Prefetch0(_sessionOutside + Bucket(outside, remoteAddress, insidePort, remotePort, protocol));
    }

    /// <summary>The session of an outbound packet: internal endpoint to remote endpoint; -1 if none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int FindByInside(uint insideAddress, ushort insidePort, uint remoteAddress, ushort remotePort, byte protocol)
    {
        int s = _sessionInside[Bucket(insideAddress, remoteAddress, insidePort, remotePort, protocol)];
        while (s != None)
        {
            ref NatSession e = ref _sessions[s];
            if (e.InsideAddress == insideAddress && e.RemoteAddress == remoteAddress && e.InsidePort == insidePort && e.RemotePort == remotePort && e.Protocol == protocol)
            {
                return s;
            }
            s = e.InsideNext;
        }
        return None;
    }

    /// <summary>The session of an inbound packet: remote endpoint to external endpoint; -1 if none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int FindByOutside(uint outsideAddress, ushort outsidePort, uint remoteAddress, ushort remotePort, byte protocol)
    {
        int s = _sessionOutside[Bucket(outsideAddress, remoteAddress, outsidePort, remotePort, protocol)];
        while (s != None)
        {
            ref NatSession e = ref _sessions[s];
            if (e.OutsideAddress == outsideAddress && e.RemoteAddress == remoteAddress && e.OutsidePort == outsidePort && e.RemotePort == remotePort && e.Protocol == protocol)
            {
                return s;
            }
            s = e.OutsideNext;
        }
        return None;
    }

    /// <summary>The mapping that owns an external address:port; -1 if the port is free.</summary>
    public int FindMappingByOutside(uint outsideAddress, ushort outsidePort, byte protocol)
    {
        int m = _mappingOutside[Bucket(outsideAddress, 0, outsidePort, 0, protocol)];
        while (m != None)
        {
            ref NatMappingEntry e = ref _mappings[m];
            if (e.OutsideAddress == outsideAddress && e.OutsidePort == outsidePort && e.Protocol == protocol)
            {
                return m;
            }
            m = e.OutsideNext;
        }
        return None;
    }

    /// <summary>
    /// The mapping an internal endpoint's packets to a remote use; -1 if none. A static mapping
    /// of the endpoint wins whatever the mapping behaviour; otherwise the remote counts only with
    /// address-and-port-dependent mapping.
    /// </summary>
    public int FindMappingByInside(uint insideAddress, ushort insidePort, byte protocol, uint remoteAddress, ushort remotePort)
    {
        int found = FindMappingKey(insideAddress, insidePort, protocol, 0, 0);
        if (found != None || Settings.Mapping == NatMapping.EndpointIndependent)
        {
            return found;
        }
        return FindMappingKey(insideAddress, insidePort, protocol, remoteAddress, remotePort);
    }

    private int FindMappingKey(uint insideAddress, ushort insidePort, byte protocol, uint remoteAddress, ushort remotePort)
    {
        int m = _mappingInside[Bucket(insideAddress, remoteAddress, insidePort, remotePort, protocol)];
        while (m != None)
        {
            ref NatMappingEntry e = ref _mappings[m];
            if (e.InsideAddress == insideAddress && e.InsidePort == insidePort && e.Protocol == protocol && e.RemoteAddress == remoteAddress && e.RemotePort == remotePort)
            {
                return m;
            }
            m = e.InsideNext;
        }
        return None;
    }

    /// <summary>
    /// Makes the session of an outbound packet that found none: on the endpoint's mapping, or on
    /// a new one with an external port chosen by <see cref="TryChoosePort"/>.
    /// </summary>
    public NatCreateResult TryCreateSession(uint insideAddress, ushort insidePort, uint remoteAddress, ushort remotePort, byte protocol, long now, out int session)
    {
        session = None;
        int mapping = FindMappingByInside(insideAddress, insidePort, protocol, remoteAddress, remotePort);
        if (mapping == None)
        {
            if (!HasFreeMapping || !HasFreeSession)
            {
                return NatCreateResult.TableFull;
            }
            if (_hosts is { } full && full.Count(insideAddress) >= Settings.MaxSessionsPerHost)
            {
                return NatCreateResult.HostLimit;
            }
            if (Addresses.Length == 0)
            {
                return NatCreateResult.NoAddress;
            }
            uint outside = PairedAddress(insideAddress);
            if (!TryChoosePort(outside, insidePort, protocol, out ushort port))
            {
                return NatCreateResult.PortsExhausted;
            }
            bool dependent = Settings.Mapping == NatMapping.AddressAndPortDependent;
            mapping = AddMapping(insideAddress, insidePort, protocol, outside, port, dependent ? remoteAddress : 0, dependent ? remotePort : (ushort)0, isStatic: false);
        }
        return TryCreateOnMapping(mapping, remoteAddress, remotePort, now, out session);
    }

    /// <summary>Makes a session on an existing mapping (an inbound packet the filter admitted, a TCP SYN to a port mapping).</summary>
    public NatCreateResult TryCreateOnMapping(int mapping, uint remoteAddress, ushort remotePort, long now, out int session)
    {
        session = None;
        ref NatMappingEntry m = ref _mappings[mapping];
        if (!HasFreeSession)
        {
            ReleaseIfUnused(mapping);
            return NatCreateResult.TableFull;
        }
        if (_hosts is { } hosts && hosts.Count(m.InsideAddress) >= Settings.MaxSessionsPerHost)
        {
            ReleaseIfUnused(mapping);
            return NatCreateResult.HostLimit;
        }
        session = TakeSession();
        ref NatSession s = ref _sessions[session];
        s = new NatSession
        {
            InsideAddress = m.InsideAddress,
            InsidePort = m.InsidePort,
            OutsideAddress = m.OutsideAddress,
            OutsidePort = m.OutsidePort,
            RemoteAddress = remoteAddress,
            RemotePort = remotePort,
            Protocol = m.Protocol,
            State = NatSessionState.Open,
            TimeoutClass = m.Protocol switch
            {
                Flow.Protocols.Ipv4.IpProtocol.Tcp => NatTimeoutClass.TcpTransitory,
                Flow.Protocols.Ipv4.IpProtocol.Icmp => NatTimeoutClass.Icmp,
                _ => NatTimeoutClass.Udp,
            },
            Mapping = mapping,
            LastUsed = Milliseconds(now),
        };
        uint inside = Bucket(s.InsideAddress, remoteAddress, s.InsidePort, remotePort, s.Protocol);
        s.InsideNext = _sessionInside[inside];
        _sessionInside[inside] = session;
        uint outside = Bucket(s.OutsideAddress, remoteAddress, s.OutsidePort, remotePort, s.Protocol);
        s.OutsideNext = _sessionOutside[outside];
        _sessionOutside[outside] = session;
        s.MappingPrev = None;
        s.MappingNext = m.FirstSession;
        if (m.FirstSession != None)
        {
            _sessions[m.FirstSession].MappingPrev = session;
        }
        m.FirstSession = session;
        m.Sessions++;
        AgeAppend(session);
        _hosts?.Add(s.InsideAddress, 1);
        SessionCount++;
        SessionsCreated++;
        return NatCreateResult.Created;
    }

    /// <summary>
    /// Whether the filtering behaviour lets a remote endpoint send to a mapping: always for
    /// endpoint-independent filtering and static mappings, else only if the internal endpoint has
    /// a session with that remote address (and port).
    /// </summary>
    public bool Admits(int mapping, uint remoteAddress, ushort remotePort)
    {
        ref NatMappingEntry m = ref _mappings[mapping];
        if (m.IsStatic || Settings.Filtering == NatFiltering.EndpointIndependent)
        {
            return true;
        }
        bool portToo = Settings.Filtering == NatFiltering.AddressAndPortDependent;
        // A mapping's sessions are the remotes its endpoint talked to: few for a client, and
        // a server is reached through a static mapping, which admits everyone.
        for (int s = m.FirstSession; s != None; s = _sessions[s].MappingNext)
        {
            ref NatSession e = ref _sessions[s];
            if (e.RemoteAddress == remoteAddress && (!portToo || e.RemotePort == remotePort))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Ends a session now (and its mapping if nothing else uses it).</summary>
    public void Remove(int session)
    {
        ref NatSession s = ref _sessions[session];
        uint inside = Bucket(s.InsideAddress, s.RemoteAddress, s.InsidePort, s.RemotePort, s.Protocol);
        uint outside = Bucket(s.OutsideAddress, s.RemoteAddress, s.OutsidePort, s.RemotePort, s.Protocol);
        if (Sse.IsSupported)
        {
            // Three independent lines: let their misses overlap.
            Sse.Prefetch0(_sessionInside + inside);
            Sse.Prefetch0(_sessionOutside + outside);
            Sse.Prefetch0(_mappings + s.Mapping);
        }
        Unlink(ref _sessionInside[inside], session, inside: true);
        Unlink(ref _sessionOutside[outside], session, inside: false);
        AgeUnlink(session);
        ref NatMappingEntry m = ref _mappings[s.Mapping];
        if (s.MappingPrev != None)
        {
            _sessions[s.MappingPrev].MappingNext = s.MappingNext;
        }
        else
        {
            m.FirstSession = s.MappingNext;
        }
        if (s.MappingNext != None)
        {
            _sessions[s.MappingNext].MappingPrev = s.MappingPrev;
        }
        m.Sessions--;
        _hosts?.Add(s.InsideAddress, -1);
        int mapping = s.Mapping;
        s.Protocol = 0;
        s.InsideNext = _freeSession;
        _freeSession = session;
        SessionCount--;
        ReleaseIfUnused(mapping);
    }

    /// <summary>Calls <paramref name="visit"/> for each session (control verbs, on the owning worker).</summary>
    public void ForEachSession(Action<NatSession> visit)
    {
        ArgumentNullException.ThrowIfNull(visit);
        for (int i = 0; i < _unusedSession; i++)
        {
            if (_sessions[i].Protocol != 0)
            {
                visit(_sessions[i]);
            }
        }
    }

    /// <summary>Calls <paramref name="visit"/> for each mapping (control verbs, on the owning worker).</summary>
    public void ForEachMapping(Action<NatMappingEntry> visit)
    {
        ArgumentNullException.ThrowIfNull(visit);
        for (int i = 0; i < _unusedMapping; i++)
        {
            if (_mappings[i].Protocol != 0)
            {
                visit(_mappings[i]);
            }
        }
    }

    private int AddMapping(uint insideAddress, ushort insidePort, byte protocol, uint outsideAddress, ushort outsidePort, uint remoteAddress, ushort remotePort, bool isStatic)
    {
        int mapping = TakeMapping();
        ref NatMappingEntry m = ref _mappings[mapping];
        m = new NatMappingEntry
        {
            InsideAddress = insideAddress,
            InsidePort = insidePort,
            OutsideAddress = outsideAddress,
            OutsidePort = outsidePort,
            RemoteAddress = remoteAddress,
            RemotePort = remotePort,
            Protocol = protocol,
            IsStatic = isStatic,
            FirstSession = None,
        };
        uint inside = Bucket(insideAddress, remoteAddress, insidePort, remotePort, protocol);
        m.InsideNext = _mappingInside[inside];
        _mappingInside[inside] = mapping;
        uint outside = Bucket(outsideAddress, 0, outsidePort, 0, protocol);
        m.OutsideNext = _mappingOutside[outside];
        _mappingOutside[outside] = mapping;
        MappingCount++;
        return mapping;
    }

    private bool HasFreeSession => _freeSession != None || _unusedSession < Capacity;

    private bool HasFreeMapping => _freeMapping != None || _unusedMapping < Capacity;

    private int TakeSession()
    {
        if (_freeSession == None)
        {
            return _unusedSession++;
        }
        int taken = _freeSession;
        _freeSession = _sessions[taken].InsideNext;
        return taken;
    }

    private int TakeMapping()
    {
        if (_freeMapping == None)
        {
            return _unusedMapping++;
        }
        int taken = _freeMapping;
        _freeMapping = _mappings[taken].InsideNext;
        return taken;
    }

    private void ReleaseIfUnused(int mapping)
    {
        ref NatMappingEntry m = ref _mappings[mapping];
        if (m.Sessions > 0 || m.IsStatic)
        {
            return;
        }
        RemoveMapping(mapping);
    }

    private void RemoveMapping(int mapping)
    {
        ref NatMappingEntry m = ref _mappings[mapping];
        uint inside = Bucket(m.InsideAddress, m.RemoteAddress, m.InsidePort, m.RemotePort, m.Protocol);
        uint outside = Bucket(m.OutsideAddress, 0, m.OutsidePort, 0, m.Protocol);
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(_mappingInside + inside);
            Sse.Prefetch0(_mappingOutside + outside);
        }
        UnlinkMapping(ref _mappingInside[inside], mapping, inside: true);
        UnlinkMapping(ref _mappingOutside[outside], mapping, inside: false);
        m.Protocol = 0;
        m.InsideNext = _freeMapping;
        _freeMapping = mapping;
        MappingCount--;
    }

    private void Unlink(ref int head, int session, bool inside)
    {
        ref int link = ref head;
        while (link != None)
        {
            if (link == session)
            {
                link = inside ? _sessions[session].InsideNext : _sessions[session].OutsideNext;
                return;
            }
            link = ref inside ? ref _sessions[link].InsideNext : ref _sessions[link].OutsideNext;
        }
    }

    private void UnlinkMapping(ref int head, int mapping, bool inside)
    {
        ref int link = ref head;
        while (link != None)
        {
            if (link == mapping)
            {
                link = inside ? _mappings[mapping].InsideNext : _mappings[mapping].OutsideNext;
                return;
            }
            link = ref inside ? ref _mappings[link].InsideNext : ref _mappings[link].OutsideNext;
        }
    }

    /// <summary>Paired pooling (RFC 4787 REQ-2): an internal host always gets the same external address.</summary>
    private uint PairedAddress(uint insideAddress)
    {
        uint[] addresses = Addresses;
        return addresses.Length == 1 ? addresses[0] : addresses[(int)((Mix(insideAddress) >> 32) % (uint)addresses.Length)];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Bucket(uint a, uint b, ushort portA, ushort portB, byte protocol)
    {
        // One keyed multiply-xorshift over both words: every input bit reaches the bucket bits,
        // and without the key a remote cannot aim packets at one chain.
        ulong h = ((ulong)a << 32 | b) ^ _hashKey;
        h *= 0x9E3779B97F4A7C15UL;
        h ^= ((ulong)portA << 24 | (ulong)portB << 8 | protocol) + (h >> 29);
        h *= 0xBF58476D1CE4E5B9UL;
        return (uint)(h >> 32) & _bucketMask;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong Mix(ulong x)
    {
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCDUL ^ _hashKey;
        x ^= x >> 33;
        x *= 0xC4CEB9FE1A85EC53UL;
        return x ^ x >> 33;
    }

    private static int* AllocBuckets(int count)
    {
        int* buckets = (int*)NativeMemory.AlignedAlloc((nuint)count * sizeof(int), 64);
        new Span<int>(buckets, count).Fill(None);
        return buckets;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        NativeMemory.AlignedFree(_sessions);
        NativeMemory.AlignedFree(_mappings);
        NativeMemory.AlignedFree(_sessionInside);
        NativeMemory.AlignedFree(_sessionOutside);
        NativeMemory.AlignedFree(_mappingInside);
        NativeMemory.AlignedFree(_mappingOutside);
        _hosts?.Dispose();
    }
}
