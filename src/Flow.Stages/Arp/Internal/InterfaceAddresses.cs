using System.Globalization;
using System.Runtime.CompilerServices;
using Flow.Stages.Ipv4;

namespace Flow.Stages.Arp.Internal;

/// <summary>
/// Each interface's own addresses and their prefixes, host order, for the per-interface checks
/// ARP needs (answer only for the receiving interface's addresses; learn only neighbours on its
/// prefixes) — <see cref="RouterInterfaceTable"/> answers "any interface" only.
/// </summary>
internal sealed class InterfaceAddresses
{
    private readonly uint[][] _addresses;
    private readonly uint[][] _masks;

    public InterfaceAddresses(RouterInterfaceTable interfaces)
    {
        _addresses = new uint[interfaces.Count][];
        _masks = new uint[interfaces.Count][];
        for (int i = 0; i < interfaces.Count; i++)
        {
            string[] texts = [.. interfaces.Interfaces[i].StaticAddresses];
            _addresses[i] = new uint[texts.Length];
            _masks[i] = new uint[texts.Length];
            for (int a = 0; a < texts.Length; a++)
            {
                // Validated by RouterInterfaceTable.Create: "a.b.c.d/n".
                string text = texts[a];
                int slash = text.IndexOf('/', StringComparison.Ordinal);
                uint address = 0;
                foreach (string octet in text[..slash].Split('.'))
                {
                    address = address << 8 | byte.Parse(octet, CultureInfo.InvariantCulture);
                }
                _addresses[i][a] = address;
                _masks[i][a] = RouterInterfaceTable.PrefixMask(int.Parse(text.AsSpan(slash + 1), CultureInfo.InvariantCulture));
            }
        }
    }

    /// <summary>Addresses of interface <paramref name="index"/>, host order.</summary>
    public ReadOnlySpan<uint> Of(int index) => _addresses[index];

    /// <summary>True when <paramref name="address"/> is one of interface <paramref name="index"/>'s own addresses.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsOwn(int index, uint address)
    {
        uint[] own = _addresses[index];
        for (int i = 0; i < own.Length; i++)
        {
            if (own[i] == address)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>True when <paramref name="address"/> lies in a prefix attached to interface <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsOnLink(int index, uint address)
    {
        uint[] own = _addresses[index];
        uint[] masks = _masks[index];
        for (int i = 0; i < own.Length; i++)
        {
            if (((own[i] ^ address) & masks[i]) == 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Interface <paramref name="index"/>'s own address on the prefix holding <paramref name="address"/>, or 0.</summary>
    public uint OwnOnPrefixOf(int index, uint address)
    {
        uint[] own = _addresses[index];
        uint[] masks = _masks[index];
        for (int i = 0; i < own.Length; i++)
        {
            if (((own[i] ^ address) & masks[i]) == 0)
            {
                return own[i];
            }
        }
        return 0;
    }
}
