using Flow.Protocols.Ethernet;

namespace Flow.Stages.Ipv4;

/// <summary>
/// An address a DHCP client checks before it takes it (RFC 2131 4.4.1, the ARP probes of RFC
/// 5227 2.1), or a DHCP server before it offers it (4.3.1): <c>arp</c> reports any other host
/// that claims it, the checker reads the claim. The host the address is meant for (a server's
/// client) may answer for it without counting as a claim.
/// </summary>
public sealed class AddressCheck
{
    private const ulong Claimed = 1UL << 63;

    // The claimant's MAC with a flag bit, written once by the ARP stage's worker and read by the
    // client's: one 64-bit word, so the reader sees either nothing or the whole address.
    private ulong _claim;

    private readonly MacAddress? _owner;

    internal AddressCheck(string interfaceName, uint address, MacAddress? owner)
    {
        Interface = interfaceName;
        Address = address;
        _owner = owner;
    }

    /// <summary>The interface the address is for.</summary>
    public string Interface { get; }

    /// <summary>The address checked (host order).</summary>
    public uint Address { get; }

    /// <summary>The first other host seen claiming the address, or null.</summary>
    public MacAddress? Claimant
    {
        get
        {
            ulong claim = Volatile.Read(ref _claim);
            return claim == 0 ? null : MacAddress.FromUInt64(claim);
        }
    }

    internal void Claim(MacAddress claimant)
    {
        if (claimant == _owner)
        {
            return;
        }
        Interlocked.CompareExchange(ref _claim, claimant.ToUInt64() | Claimed, 0);
    }
}
