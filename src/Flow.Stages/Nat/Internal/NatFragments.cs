using Flow.Protocols;
using Flow.Protocols.Ipv4;

namespace Flow.Stages.Nat.Internal;

/// <summary>
/// Fragments through the NAT (RFC 4787 REQ-14, in order and out of order) by virtual
/// reassembly, bounded: the first fragment carries the ports and is translated like any packet;
/// the addresses it left with are remembered by (source, destination, identification, protocol)
/// so the later fragments of the datagram get the same ones — one changed, or both for a
/// hairpinned datagram. A later fragment that comes before its first waits (at most
/// <see cref="MaxHeld"/> of them) and leaves when the first is translated, or is dropped when
/// its datagram's time is up. One per direction; owned by its stage's worker.
/// </summary>
internal sealed unsafe class NatFragments
{
    /// <summary>Datagrams remembered at once.</summary>
    public const int Capacity = 1024;

    /// <summary>Fragments waiting for their first at once.</summary>
    public const int MaxHeld = 64;

    /// <summary>How long a datagram's translation is remembered, and a fragment waits (Linux's ipfrag_time is 30 s).</summary>
    public static readonly long LifetimeNanoseconds = 30_000_000_000;

    private const int Probes = 8;

    private readonly Entry[] _entries = new Entry[Capacity];
    private readonly Held[] _held = new Held[MaxHeld];
    private int _heldCount;

    /// <summary>What <see cref="Follow"/> did with a later fragment.</summary>
    public enum Outcome
    {
        /// <summary>Its first fragment was translated: it got the same addresses.</summary>
        Translated,

        /// <summary>It waits for its first fragment (the stage consumed it).</summary>
        Held,

        /// <summary>It would wait, but <see cref="MaxHeld"/> wait already.</summary>
        Full,
    }

    /// <summary>
    /// A fragment after the first: gets the source and destination its first fragment left
    /// with, or waits for it.
    /// </summary>
    public Outcome Follow(Packet packet, ref Ipv4Header header, long now)
    {
        uint source = header.Source.Value.Host;
        uint destination = header.Destination.Value.Host;
        ushort id = header.Identification.Host;
        if (TryFind(source, destination, id, header.Protocol, now, out uint translatedSource, out uint translatedDestination))
        {
            Rewrite(ref header, translatedSource, translatedDestination);
            return Outcome.Translated;
        }
        return Hold(packet, source, destination, id, header.Protocol, now) ? Outcome.Held : Outcome.Full;
    }

    /// <summary>Whether the datagram's first fragment was translated here (and its time is not up).</summary>
    public bool Knows(uint source, uint destination, ushort id, byte protocol, long now) => TryFind(source, destination, id, protocol, now, out _, out _);

    /// <summary>
    /// A first fragment, which came as (<paramref name="source"/>, <paramref name="destination"/>),
    /// left as (<paramref name="translatedSource"/>, <paramref name="translatedDestination"/>):
    /// remembers that for the datagram's later fragments and sends the ones waiting, rewritten, to
    /// <paramref name="send"/>. False when the datagram could not be remembered (its later
    /// fragments will wait and expire).
    /// </summary>
    public bool FirstTranslated<TState>(uint source, uint destination, ushort id, byte protocol, uint translatedSource, uint translatedDestination, long now, TState state, Action<TState, Packet> send)
    {
        bool remembered = Remember(source, destination, id, protocol, translatedSource, translatedDestination, now);
        for (int i = 0; i < _heldCount;)
        {
            Held h = _held[i];
            if (h.Source == source && h.Destination == destination && h.Id == id && h.Protocol == protocol)
            {
                _held[i] = _held[--_heldCount];
                _held[_heldCount] = default;
                Rewrite(ref *(Ipv4Header*)(h.Packet.DataPointer + h.Packet.Meta.L3Offset), translatedSource, translatedDestination);
                send(state, h.Packet);
            }
            else
            {
                i++;
            }
        }
        return remembered;
    }

    /// <summary>Gives a later fragment its first's addresses; the ports and the L4 checksum are in the first alone.</summary>
    private static void Rewrite(ref Ipv4Header header, uint source, uint destination)
    {
        if (header.Source.Value.Host != source)
        {
            header.RewriteSource(new Ipv4Address(new NetU32(source)));
        }
        if (header.Destination.Value.Host != destination)
        {
            header.RewriteDestination(new Ipv4Address(new NetU32(destination)));
        }
    }

    /// <summary>Remembers the addresses the datagram's first fragment left with.</summary>
    private bool Remember(uint source, uint destination, ushort id, byte protocol, uint translatedSource, uint translatedDestination, long now)
    {
        int start = Index(source, destination, id, protocol);
        int victim = -1;
        for (int p = 0; p < Probes; p++)
        {
            int i = (start + p) & (Capacity - 1);
            ref Entry e = ref _entries[i];
            if (!e.InUse || e.Expires <= now || e.Matches(source, destination, id, protocol))
            {
                victim = i;
                break;
            }
        }
        if (victim < 0)
        {
            return false;
        }
        _entries[victim] = new Entry { InUse = true, Source = source, Destination = destination, Id = id, Protocol = protocol, TranslatedSource = translatedSource, TranslatedDestination = translatedDestination, Expires = now + LifetimeNanoseconds };
        return true;
    }

    /// <summary>The addresses a later fragment gets; false when its first fragment has not been seen (or its time is up).</summary>
    private bool TryFind(uint source, uint destination, ushort id, byte protocol, long now, out uint translatedSource, out uint translatedDestination)
    {
        int start = Index(source, destination, id, protocol);
        for (int p = 0; p < Probes; p++)
        {
            ref Entry e = ref _entries[(start + p) & (Capacity - 1)];
            if (e.InUse && e.Expires > now && e.Matches(source, destination, id, protocol))
            {
                translatedSource = e.TranslatedSource;
                translatedDestination = e.TranslatedDestination;
                return true;
            }
        }
        translatedSource = 0;
        translatedDestination = 0;
        return false;
    }

    /// <summary>Keeps a fragment until its first comes; false when <see cref="MaxHeld"/> wait already.</summary>
    private bool Hold(Packet packet, uint source, uint destination, ushort id, byte protocol, long now)
    {
        if (_heldCount == MaxHeld)
        {
            return false;
        }
        _held[_heldCount++] = new Held(packet, source, destination, id, protocol, now + LifetimeNanoseconds);
        return true;
    }

    /// <summary>Frees the fragments whose first never came; returns how many.</summary>
    public int ExpireHeld(long now)
    {
        int freed = 0;
        for (int i = 0; i < _heldCount;)
        {
            if (_held[i].Expires <= now)
            {
                PacketPools.Free(_held[i].Packet);
                _held[i] = _held[--_heldCount];
                _held[_heldCount] = default;
                freed++;
            }
            else
            {
                i++;
            }
        }
        return freed;
    }

    /// <summary>Frees every waiting fragment (the stage stops).</summary>
    public int FreeAll()
    {
        int freed = _heldCount;
        for (int i = 0; i < _heldCount; i++)
        {
            PacketPools.Free(_held[i].Packet);
            _held[i] = default;
        }
        _heldCount = 0;
        return freed;
    }

    /// <summary>Fragments waiting now.</summary>
    public int HeldCount => _heldCount;

    private static int Index(uint source, uint destination, ushort id, byte protocol) =>
        (int)((source * 0x9E3779B1u ^ destination * 0x85EBCA77u ^ (uint)(id << 8 | protocol) * 0xC2B2AE3Du) >> 16) & (Capacity - 1);

    private struct Entry
    {
        public bool InUse;
        public byte Protocol;
        public ushort Id;
        public uint Source;
        public uint Destination;
        public uint TranslatedSource;
        public uint TranslatedDestination;
        public long Expires;

        public readonly bool Matches(uint source, uint destination, ushort id, byte protocol) =>
            Source == source && Destination == destination && Id == id && Protocol == protocol;
    }

    private readonly record struct Held(Packet Packet, uint Source, uint Destination, ushort Id, byte Protocol, long Expires);
}
