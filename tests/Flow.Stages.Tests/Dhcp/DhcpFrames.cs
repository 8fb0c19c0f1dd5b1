using System.Globalization;
using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Dhcp;

/// <summary>
/// DHCP messages built and read by scapy (an encoder and decoder Flow did not write), for the
/// router of <see cref="Ipv4.RouterFrames"/>: lan 10.0.0.1/24, wan 192.0.2.1/24.
/// </summary>
internal static class DhcpFrames
{
    /// <summary>Client MAC number <paramref name="n"/>, 02:00:00:00:00:nn.</summary>
    public static string ClientMac(int n) => $"02:00:00:00:00:{n.ToString("x2", CultureInfo.InvariantCulture)}";

    /// <summary>
    /// A client's message (BOOTREQUEST from port 68 to 67) of <paramref name="type"/> (scapy's
    /// names: discover, request, decline, release, inform) with extra options as scapy tuples,
    /// e.g. <c>('requested_addr','10.0.0.100'), ('server_id','10.0.0.1')</c>.
    /// </summary>
    public static byte[] FromClient(int client, uint xid, string type, string options = "", string src = "0.0.0.0", string dst = "255.255.255.255",
        string ciaddr = "0.0.0.0", string giaddr = "0.0.0.0", bool broadcast = false, string? ethernetDestination = null)
    {
        string mac = ClientMac(client);
        string extra = options.Length == 0 ? "" : ", " + options;
        return ScapyOne($"Ether(src='{mac}', dst='{ethernetDestination ?? "ff:ff:ff:ff:ff:ff"}')/IP(src='{src}', dst='{dst}')/UDP(sport={(giaddr == "0.0.0.0" ? 68 : 67)}, dport=67)/" +
            $"BOOTP(chaddr=bytes.fromhex('{mac.Replace(":", "", StringComparison.Ordinal)}'), xid={xid}, flags={(broadcast ? 0x8000 : 0)}, ciaddr='{ciaddr}', giaddr='{giaddr}')/" +
            $"DHCP(options=[('message-type','{type}'){extra}, 'end'])");
    }

    /// <summary>A server's message (BOOTREPLY from port 67 to 68) to the client with <paramref name="mac"/>.</summary>
    public static byte[] FromServer(string mac, uint xid, string type, string yiaddr, string options, string src = "192.0.2.2", string dst = "255.255.255.255")
    {
        string extra = options.Length == 0 ? "" : ", " + options;
        return ScapyOne($"Ether(src='02:00:00:00:00:99', dst='ff:ff:ff:ff:ff:ff')/IP(src='{src}', dst='{dst}')/UDP(sport=67, dport=68)/" +
            $"BOOTP(op=2, chaddr=bytes.fromhex('{mac.Replace(":", "", StringComparison.Ordinal)}'), xid={xid}, yiaddr='{yiaddr}')/" +
            $"DHCP(options=[('message-type','{type}'){extra}, 'end'])");
    }

    /// <summary>
    /// Scapy's reading of a DHCP frame as name → value: eth_dst, eth_src, ip_src, ip_dst, sport,
    /// dport, op, xid, flags, ciaddr, yiaddr, giaddr, secs, checksums_ok (IP and UDP as scapy
    /// computes them), length (the UDP payload), and each option by scapy's name (message-type,
    /// server_id, lease_time, renewal_time, rebinding_time, subnet_mask, router,
    /// name_server, broadcast_address, client_id, param_req_list, hostname).
    /// </summary>
    public static Dictionary<string, string> Read(ReadOnlySpan<byte> frame) =>
        Python($"p=Ether(bytes.fromhex('{Convert.ToHexString(frame)}'))\n" +
            "q=Ether(bytes(p)); del q[IP].chksum; del q[UDP].chksum; q=Ether(bytes(q))\n" +
            "b=p[BOOTP]\n" +
            "print('eth_dst=' + p.dst); print('eth_src=' + p.src); print('ip_src=' + p[IP].src); print('ip_dst=' + p[IP].dst)\n" +
            "print('sport=%d' % p[UDP].sport); print('dport=%d' % p[UDP].dport); print('op=%d' % b.op); print('xid=%d' % b.xid)\n" +
            "print('flags=%d' % int(b.flags)); print('ciaddr=' + b.ciaddr); print('yiaddr=' + b.yiaddr); print('giaddr=' + b.giaddr); print('secs=%d' % b.secs)\n" +
            "print('checksums_ok=%s' % (p[IP].chksum == q[IP].chksum and p[UDP].chksum == q[UDP].chksum)); print('length=%d' % len(bytes(p[UDP].payload)))\n" +
            "for o in p[DHCP].options:\n" +
            "    if isinstance(o, tuple):\n" +
            "        v = o[1:] if len(o) > 2 else o[1]\n" +
            "        v = ','.join(str(x) for x in v) if isinstance(v, (tuple, list)) else (v.hex() if isinstance(v, bytes) else str(v))\n" +
            "        print(str(o[0]) + '=' + v)\n")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal);

    /// <summary>The bytes of the one frame <paramref name="harness"/>'s stage sent on <paramref name="port"/> (freed).</summary>
    public static byte[] TakeOne(StageHarness harness, string port = "link")
    {
        Packet[] sent = harness.Take(port);
        Packet packet = Assert.Single(sent);
        byte[] bytes = packet.Data.ToArray();
        PacketPools.Free(sent);
        return bytes;
    }
}
