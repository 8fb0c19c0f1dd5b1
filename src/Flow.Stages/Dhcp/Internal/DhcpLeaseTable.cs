using System.Diagnostics;
using Flow.Protocols;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Ipv4;

namespace Flow.Stages.Dhcp.Internal;

/// <summary>
/// The addresses of a DHCP server's range and their bindings, indexed by address − first.
/// Worker-owned. Clients are found by a linear scan of the range comparing binding keys: a range
/// holds at most <see cref="MaxAddresses"/> addresses and DHCP arrives a few messages a second,
/// so the scan costs less than keeping a second index in step (and allocates nothing).
/// </summary>
internal sealed class DhcpLeaseTable
{
    /// <summary>Largest range: a /16 worth of addresses.</summary>
    public const int MaxAddresses = 65536;

    private readonly LeaseSlot[] _slots;
    // An address of the range never handed out: the server's own, or the pool's router (0: none).
    private readonly uint _reserved;
    private readonly uint _network;
    private readonly uint _broadcast;
    private long _nextDeadline = long.MaxValue;

    public DhcpLeaseTable(uint first, uint last, uint reserved, uint network, uint broadcast)
    {
        Debug.Assert(last >= first && last - first < MaxAddresses, "range checked by the stage");
        First = first;
        Last = last;
        _reserved = reserved;
        _network = network;
        _broadcast = broadcast;
        _slots = new LeaseSlot[last - first + 1];
        for (uint a = first; a <= last && a >= first; a++)
        {
            Usable += IndexOf(a) >= 0 ? 1 : 0;
        }
    }

    public uint First { get; }

    public uint Last { get; }

    public int Count => _slots.Length;

    /// <summary>Addresses handed out: the range without the reserved, network and broadcast addresses.</summary>
    public int Usable { get; }

    /// <summary>Set whenever a binding changed; the lease file writer clears it.</summary>
    public bool Dirty { get; set; }

    public ref LeaseSlot this[int index] => ref _slots[index];

    public uint AddressOf(int index) => First + (uint)index;

    /// <summary>The slot of <paramref name="address"/>, or -1 outside the range or for an address never handed out (reserved, network, broadcast).</summary>
    public int IndexOf(uint address)
    {
        if (address < First || address > Last || address == _reserved || address == _network || address == _broadcast)
        {
            return -1;
        }
        return (int)(address - First);
    }

    /// <summary>The slot bound or offered to <paramref name="client"/> (current), else the one it had last (previous), else -1.</summary>
    public int FindClient(ReadOnlySpan<byte> client, out bool current)
    {
        int previous = -1;
        LeaseSlot[] slots = _slots;
        for (int i = 0; i < slots.Length; i++)
        {
            byte[]? key = slots[i].Client;
            if (key is null || !client.SequenceEqual(key))
            {
                continue;
            }
            if (slots[i].State is DhcpLeaseState.Bound or DhcpLeaseState.Offered)
            {
                current = true;
                return i;
            }
            if (slots[i].State == DhcpLeaseState.Free && (previous < 0 || slots[i].Deadline > slots[previous].Deadline))
            {
                previous = i;
            }
        }
        current = false;
        return previous;
    }

    /// <summary>
    /// The address to offer (RFC 2131 4.3.1): the client's current binding, its previous one, the
    /// address it asked for if in the range and free, else a free address — one never handed out
    /// first, then the one free the longest — never <paramref name="relay"/>, the address of the
    /// relay agent the request came through (0: none), should the range hold it. -1: the range is
    /// exhausted.
    /// </summary>
    public int Choose(ReadOnlySpan<byte> client, uint requested, uint relay)
    {
        int found = FindClient(client, out _);
        if (found >= 0)
        {
            return found;
        }
        int asked = IndexOf(requested);
        if (asked >= 0 && _slots[asked].State == DhcpLeaseState.Free && requested != relay)
        {
            return asked;
        }
        int oldest = -1;
        LeaseSlot[] slots = _slots;
        for (int i = 0; i < slots.Length; i++)
        {
            if (slots[i].State != DhcpLeaseState.Free || IndexOf(AddressOf(i)) < 0 || AddressOf(i) == relay)
            {
                continue;
            }
            if (slots[i].Client is null)
            {
                return i;
            }
            if (oldest < 0 || slots[i].Deadline < slots[oldest].Deadline)
            {
                oldest = i;
            }
        }
        return oldest;
    }

    /// <summary>Gives slot <paramref name="index"/> to <paramref name="client"/> in <paramref name="state"/> until <paramref name="deadline"/>.</summary>
    public void Assign(int index, DhcpLeaseState state, ReadOnlySpan<byte> client, MacAddress mac, string? hostName, long deadline)
    {
        ref LeaseSlot slot = ref _slots[index];
        if (slot.Client is null || !client.SequenceEqual(slot.Client))
        {
            slot.Client = client.ToArray();
        }
        slot.State = state;
        slot.Mac = mac;
        slot.HostName = hostName ?? slot.HostName;
        slot.Deadline = deadline;
        _nextDeadline = Math.Min(_nextDeadline, deadline);
        Dirty = true;
    }

    /// <summary>Frees slot <paramref name="index"/> (the client is remembered as its previous holder).</summary>
    public void Free(int index, long now)
    {
        ref LeaseSlot slot = ref _slots[index];
        slot.State = DhcpLeaseState.Free;
        slot.Deadline = now;
        Dirty = true;
    }

    /// <summary>Marks slot <paramref name="index"/> unusable until <paramref name="until"/> (RFC 2131 4.3.3); it forgets its client.</summary>
    public void Decline(int index, long until)
    {
        ref LeaseSlot slot = ref _slots[index];
        slot.State = DhcpLeaseState.Declined;
        slot.Client = null;
        slot.HostName = null;
        slot.Mac = default;
        slot.Deadline = until;
        _nextDeadline = Math.Min(_nextDeadline, until);
        Dirty = true;
    }

    /// <summary>Ends offers, leases and declines whose time is up; returns how many leases expired. O(1) until a deadline passes.</summary>
    public int Expire(long now)
    {
        if (now < _nextDeadline)
        {
            return 0;
        }
        int expired = 0;
        long next = long.MaxValue;
        LeaseSlot[] slots = _slots;
        for (int i = 0; i < slots.Length; i++)
        {
            ref LeaseSlot slot = ref slots[i];
            if (slot.State == DhcpLeaseState.Free)
            {
                continue;
            }
            if (slot.Deadline > now)
            {
                next = Math.Min(next, slot.Deadline);
                continue;
            }
            if (slot.State == DhcpLeaseState.Bound)
            {
                expired++;
            }
            if (slot.State == DhcpLeaseState.Declined)
            {
                slot.Client = null;
            }
            slot.State = DhcpLeaseState.Free;
            Dirty = true;
        }
        _nextDeadline = next;
        return expired;
    }

    /// <summary>How many addresses are bound, offered and declined now, for control output.</summary>
    public (int Bound, int Offered, int Declined) CountStates()
    {
        int bound = 0, offered = 0, declined = 0;
        foreach (LeaseSlot slot in _slots)
        {
            bound += slot.State == DhcpLeaseState.Bound ? 1 : 0;
            offered += slot.State == DhcpLeaseState.Offered ? 1 : 0;
            declined += slot.State == DhcpLeaseState.Declined ? 1 : 0;
        }
        return (bound, offered, declined);
    }

    /// <summary>Every address that is not free and never bound (every one with <paramref name="all"/>), for control output, added to <paramref name="entries"/>.</summary>
    public void Snapshot(long now, bool all, string network, List<DhcpLeaseEntry> entries)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            LeaseSlot slot = _slots[i];
            if (!all && slot.State == DhcpLeaseState.Free && slot.Client is null)
            {
                continue;
            }
            long left = slot.State == DhcpLeaseState.Free ? 0 : Math.Max(0, (slot.Deadline - now) / 1_000_000_000);
            entries.Add(new DhcpLeaseEntry(new Ipv4Address(new NetU32(AddressOf(i))).ToString(), slot.State,
                slot.Client is null ? "" : slot.Mac.ToString(), slot.Client is null ? "" : Convert.ToHexString(slot.Client).ToLowerInvariant(),
                slot.HostName, left, network));
        }
    }
}
