#!/usr/bin/env python3
"""Writes the Flow.Protocols parser corpus: corpus.pcap plus corpus.json.

Every packet is built with scapy and then re-dissected by scapy from its bytes; the
expected field values in corpus.json come from that dissection, so the oracle is scapy's
decoder, not our construction parameters.  Entry i of the JSON describes pcap record i:

  {"name": str, "family": str,
   "expect": {layer: {field: value}},   # every layer our walk must produce, every field
   "reject": layer | null}              # the layer whose TryParse must return false

Usage: make_corpus.py OUTPUT_DIR.  Deterministic: no random fields are left to scapy.
"""
import json
import os
import sys

from scapy.all import (ARP, BOOTP, DHCP, ICMP, IP, TCP, UDP, Dot1AD, Dot1Q, Ether, IPOption_NOP,
                       IPOption_Router_Alert, IPOption_RR, IPerror, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Raw, UDPerror, wrpcap)
from scapy.layers.dhcp import DHCPRevOptions
from scapy.layers.inet import TCPOptions
from scapy.layers.inet6 import (ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA,
                                ICMPv6ND_RS, ICMPv6NDOptDstLLAddr, ICMPv6NDOptMTU, ICMPv6NDOptPrefixInfo,
                                ICMPv6NDOptSrcLLAddr, _ICMPv6)

MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"
IP_A, IP_B = "192.0.2.1", "198.51.100.7"
IP6_A, IP6_B = "2001:db8::1", "fe80::200:ff:fe00:b"

entries = []
frames = []


def add(name, family, pkt, reject=None):
    raw = bytes(pkt)
    frames.append(Raw(raw))
    expect = {} if reject else describe(Ether(raw))
    entries.append({"name": name, "family": family, "expect": expect, "reject": reject})


def add_raw(name, family, raw, reject):
    frames.append(Raw(raw))
    entries.append({"name": name, "family": family, "expect": {}, "reject": reject})


def checksum_ok(pkt, layer):
    """Whether scapy recomputes the same checksum from the packet's own bytes."""
    original = pkt[layer].chksum
    if layer is UDP and original == 0 and IP in pkt:
        return True  # RFC 768: zero means no checksum over IPv4
    clone = pkt.copy()
    clone[layer].chksum = None
    return Ether(bytes(clone))[layer].chksum == original


def describe(p):
    out = {}
    vlans = []
    layer = p.payload
    while isinstance(layer, (Dot1Q, Dot1AD)):
        vlans.append({"vid": layer.vlan, "prio": layer.prio, "dei": layer.id})
        layer = layer.payload
    ethertype = p.type if not vlans else p.getlayer(len(vlans)).type  # type after the last tag
    out["eth"] = {"dst": p.dst, "src": p.src, "type": ethertype, "tags": len(vlans),
                  "vlans": vlans}
    if ARP in p:
        a = p[ARP]
        out["arp"] = {"hwtype": a.hwtype, "ptype": a.ptype, "hwlen": a.hwlen, "plen": a.plen, "op": a.op,
                      "hwsrc": a.hwsrc, "psrc": a.psrc, "hwdst": a.hwdst, "pdst": a.pdst}
    if IP in p:
        ip = p[IP]
        types = [(o.copy_flag << 7) | (o.optclass << 5) | o.option for o in ip.options]
        out["ipv4"] = {"version": ip.version, "ihl": ip.ihl, "tos": ip.tos, "len": ip.len, "id": ip.id,
                       "df": int(bool(ip.flags.DF)), "mf": int(bool(ip.flags.MF)), "frag": ip.frag * 8,
                       "ttl": ip.ttl, "proto": ip.proto, "chksum": ip.chksum, "src": ip.src, "dst": ip.dst,
                       "options_len": ip.ihl * 4 - 20, "option_types": [t for t in types if t not in (0, 1)],
                       "checksum_ok": checksum_ok(p, IP)}
        if ICMP in p and ip.proto == 1:
            ic = p[ICMP]
            d = {"type": ic.type, "code": ic.code, "chksum": ic.chksum, "checksum_ok": checksum_ok(p, ICMP)}
            if ic.type in (0, 8):
                d.update({"id": ic.id, "seq": ic.seq})
            if ic.type == 3 and ic.code == 4:
                d["mtu"] = ic.nexthopmtu
            if IPerror in p:
                q = p[IPerror]
                d["quoted"] = {"src": q.src, "dst": q.dst, "proto": q.proto}
            out["icmp"] = d
    if IPv6 in p:
        ip6 = p[IPv6]
        exts, layer = 0, ip6.payload
        frag_offset, more = 0, 0
        while isinstance(layer, (IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrFragment, IPv6ExtHdrDestOpt)):
            if isinstance(layer, IPv6ExtHdrFragment):
                frag_offset, more = layer.offset * 8, layer.m
            exts += 1
            upper = layer.nh
            layer = layer.payload
        out["ipv6"] = {"version": ip6.version, "tc": ip6.tc, "fl": ip6.fl, "plen": ip6.plen, "nh": ip6.nh,
                       "hlim": ip6.hlim, "src": ip6.src, "dst": ip6.dst, "ext_count": exts,
                       "upper": upper if exts else ip6.nh, "frag_offset": frag_offset, "m": more}
        if isinstance(layer, _ICMPv6):
            d = {"type": layer.type, "code": layer.code, "chksum": layer.cksum}
            if isinstance(layer, (ICMPv6EchoRequest, ICMPv6EchoReply)):
                d.update({"id": layer.id, "seq": layer.seq})
            if isinstance(layer, (ICMPv6ND_NS, ICMPv6ND_NA)):
                d["target"] = layer.tgt
            if isinstance(layer, ICMPv6ND_NA):
                d.update({"r": layer.R, "s": layer.S, "o": layer.O})
            if isinstance(layer, ICMPv6ND_RA):
                d.update({"chlim": layer.chlim, "managed": layer.M, "other": layer.O,
                          "lifetime": layer.routerlifetime, "reachable": layer.reachabletime,
                          "retrans": layer.retranstimer})
            if ICMPv6NDOptSrcLLAddr in p:
                d["src_lladdr"] = p[ICMPv6NDOptSrcLLAddr].lladdr
            if ICMPv6NDOptDstLLAddr in p:
                d["dst_lladdr"] = p[ICMPv6NDOptDstLLAddr].lladdr
            if isinstance(layer, (ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6ND_RS, ICMPv6ND_RA)):
                opts, o = [], layer.payload
                while o is not None and not isinstance(o, (Raw,)) and o.name != "NoPayload":
                    opts.append(o.type)
                    o = o.payload
                d["option_types"] = opts
            out["icmpv6"] = d
    if UDP in p and not isinstance(p[UDP], UDPerror):
        u = p[UDP]
        out["udp"] = {"sport": u.sport, "dport": u.dport, "len": u.len, "chksum": u.chksum,
                      "checksum_ok": checksum_ok(p, UDP)}
    if TCP in p:
        t = p[TCP]
        kinds = [TCPOptions[1][name] if isinstance(name, str) else name for name, _ in t.options]
        out["tcp"] = {"sport": t.sport, "dport": t.dport, "seq": t.seq, "ack": t.ack, "dataofs": t.dataofs * 4,
                      "flags": int(t.flags), "window": t.window, "chksum": t.chksum, "urgptr": t.urgptr,
                      "option_kinds": [k for k in kinds if k not in (0, 1)], "checksum_ok": checksum_ok(p, TCP)}
    if BOOTP in p:
        b = p[BOOTP]
        d = {"op": b.op, "xid": b.xid, "secs": b.secs, "flags": int(b.flags), "ciaddr": b.ciaddr,
             "yiaddr": b.yiaddr, "siaddr": b.siaddr, "giaddr": b.giaddr, "chaddr": b.chaddr[:6].hex()}
        options = {}
        for opt in p[DHCP].options:
            if isinstance(opt, str):
                continue
            name, values = opt[0], opt[1:]
            code = DHCPRevOptions[name][0]
            if code in (1, 50, 54):
                options[str(code)] = values[0]
            elif code in (3, 6):
                options[str(code)] = list(values)
            elif code in (51, 58, 59, 53):
                options[str(code)] = values[0]
            elif code == 55:
                options[str(code)] = list(values[0])
            else:
                v = values[0]
                options[str(code)] = (v if isinstance(v, bytes) else str(v).encode()).hex()
        d["options"] = options
        out["dhcp"] = d
    return out


eth_ab = Ether(dst=MAC_B, src=MAC_A)

# ---- valid -------------------------------------------------------------------------
add("eth-ipv4-udp", "udp", eth_ab / IP(src=IP_A, dst=IP_B, id=7, ttl=61) / UDP(sport=1234, dport=5678) / (b"x" * 18))
add("eth-ipv4-udp-padded-min", "udp", eth_ab / IP(src=IP_A, dst=IP_B, id=8) / UDP(sport=9, dport=9) / b"ab" / Raw(b"\0" * 0))
add("eth-ipv4-udp-nochecksum", "udp", eth_ab / IP(src=IP_A, dst=IP_B) / UDP(sport=53, dport=53, chksum=0) / b"hello")
add("eth-ipv4-udp-badchecksum", "udp", eth_ab / IP(src=IP_A, dst=IP_B) / UDP(sport=53, dport=53, chksum=0x1234) / b"hello")
add("eth-ipv4-badchecksum", "ipv4", eth_ab / IP(src=IP_A, dst=IP_B, chksum=0xbeef) / UDP(sport=1, dport=2))
add("eth-ipv4-options-ra-nop-rr", "ipv4", eth_ab / IP(src=IP_A, dst=IP_B, options=[IPOption_Router_Alert(), IPOption_NOP(), IPOption_RR(routers=["10.0.0.1", "10.0.0.2"])]) / UDP(sport=7, dport=7))
add("eth-ipv4-fragment", "ipv4", eth_ab / IP(src=IP_A, dst=IP_B, flags="MF", frag=100, proto=17) / (b"y" * 32))
add("eth-ipv4-df-tos", "ipv4", eth_ab / IP(src=IP_A, dst=IP_B, flags="DF", tos=0xb8, ttl=1) / UDP(sport=4000, dport=4001) / b"z")
add("vlan-ipv4-udp", "vlan", eth_ab / Dot1Q(vlan=100, prio=5) / IP(src=IP_A, dst=IP_B) / UDP(sport=1, dport=2) / b"q")
add("qinq-8100-ipv4", "vlan", eth_ab / Dot1AD(vlan=200, prio=3, id=1) / Dot1Q(vlan=4094) / IP(src=IP_A, dst=IP_B) / ICMP(id=1, seq=1))
add("vlan-arp", "vlan", eth_ab / Dot1Q(vlan=7) / ARP(op=1, hwsrc=MAC_A, psrc=IP_A, pdst=IP_B))
add("arp-request", "arp", Ether(dst="ff:ff:ff:ff:ff:ff", src=MAC_A) / ARP(op=1, hwsrc=MAC_A, psrc=IP_A, hwdst="00:00:00:00:00:00", pdst=IP_B))
add("arp-reply", "arp", eth_ab / ARP(op=2, hwsrc=MAC_A, psrc=IP_A, hwdst=MAC_B, pdst=IP_B))
add("icmp-echo-request", "icmp", eth_ab / IP(src=IP_A, dst=IP_B) / ICMP(type=8, id=0x1234, seq=7) / (b"p" * 56))
add("icmp-echo-reply", "icmp", eth_ab / IP(src=IP_B, dst=IP_A) / ICMP(type=0, id=0x1234, seq=7) / (b"p" * 56))
add("icmp-echo-badchecksum", "icmp", eth_ab / IP(src=IP_A, dst=IP_B) / ICMP(type=8, id=1, seq=1, chksum=0x4242) / b"abc")
add("icmp-time-exceeded", "icmp", eth_ab / IP(src="10.9.9.9", dst=IP_A) / ICMP(type=11, code=0) / IPerror(src=IP_A, dst=IP_B, ttl=1) / UDPerror(sport=33434, dport=33435))
add("icmp-port-unreachable", "icmp", eth_ab / IP(src=IP_B, dst=IP_A) / ICMP(type=3, code=3) / IPerror(src=IP_A, dst=IP_B, proto=17) / UDPerror(sport=5, dport=6) / b"data")
add("icmp-frag-needed", "icmp", eth_ab / IP(src="10.9.9.9", dst=IP_A) / ICMP(type=3, code=4, nexthopmtu=1400) / IPerror(src=IP_A, dst=IP_B, flags="DF") / UDPerror(sport=1, dport=2))
add("tcp-syn-options", "tcp", eth_ab / IP(src=IP_A, dst=IP_B) / TCP(sport=40000, dport=80, seq=1000, flags="S", window=64240, options=[("MSS", 1460), ("NOP", None), ("WScale", 7), ("SAckOK", b""), ("Timestamp", (1, 2))]))
add("tcp-ack-data", "tcp", eth_ab / IP(src=IP_A, dst=IP_B) / TCP(sport=40000, dport=80, seq=1001, ack=5001, flags="PA", window=502) / (b"GET / HTTP/1.1\r\n\r\n"))
add("tcp-all-flags-urg", "tcp", eth_ab / IP(src=IP_A, dst=IP_B) / TCP(sport=1, dport=2, flags="FSRPAUEC", urgptr=3) / b"u")
add("tcp-badchecksum", "tcp", eth_ab / IP(src=IP_A, dst=IP_B) / TCP(sport=1, dport=2, chksum=0x1111))
add("ipv6-tcp", "tcp", eth_ab / IPv6(src=IP6_A, dst=IP6_B) / TCP(sport=3, dport=4, flags="S"))
add("ipv6-udp", "ipv6", eth_ab / IPv6(src=IP6_A, dst=IP6_B, tc=0x2e, fl=0x12345, hlim=17) / UDP(sport=546, dport=547) / b"v6")
add("ipv6-udp-badchecksum", "ipv6", eth_ab / IPv6(src=IP6_A, dst=IP6_B) / UDP(sport=1, dport=2, chksum=0x7777) / b"v6")
add("ipv6-ext-chain", "ipv6", eth_ab / IPv6(src=IP6_A, dst=IP6_B) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / IPv6ExtHdrRouting(addresses=["2001:db8::99"], segleft=0) / UDP(sport=5, dport=6) / b"ext")
add("ipv6-fragment", "ipv6", eth_ab / IPv6(src=IP6_A, dst=IP6_B) / IPv6ExtHdrFragment(offset=10, m=1, id=0xabcdef, nh=17) / (b"f" * 16))
add("ipv6-nonext", "ipv6", eth_ab / IPv6(src=IP6_A, dst=IP6_B, nh=59))
add("icmpv6-echo-request", "icmpv6", eth_ab / IPv6(src=IP6_A, dst=IP6_B) / ICMPv6EchoRequest(id=0x42, seq=9, data=b"ping6"))
add("icmpv6-echo-reply", "icmpv6", eth_ab / IPv6(src=IP6_B, dst=IP6_A) / ICMPv6EchoReply(id=0x42, seq=9, data=b"ping6"))
add("icmpv6-ns", "icmpv6", Ether(dst="33:33:ff:00:00:0b", src=MAC_A) / IPv6(src=IP6_A, dst="ff02::1:ff00:b", hlim=255) / ICMPv6ND_NS(tgt=IP6_B) / ICMPv6NDOptSrcLLAddr(lladdr=MAC_A))
add("icmpv6-ns-dad", "icmpv6", Ether(dst="33:33:ff:00:00:0b", src=MAC_A) / IPv6(src="::", dst="ff02::1:ff00:b", hlim=255) / ICMPv6ND_NS(tgt=IP6_B))
add("icmpv6-na", "icmpv6", eth_ab / IPv6(src=IP6_B, dst=IP6_A, hlim=255) / ICMPv6ND_NA(tgt=IP6_B, R=1, S=1, O=0) / ICMPv6NDOptDstLLAddr(lladdr=MAC_B))
add("icmpv6-rs", "icmpv6", Ether(dst="33:33:00:00:00:02", src=MAC_A) / IPv6(src=IP6_B, dst="ff02::2", hlim=255) / ICMPv6ND_RS() / ICMPv6NDOptSrcLLAddr(lladdr=MAC_A))
add("icmpv6-ra", "icmpv6", Ether(dst="33:33:00:00:00:01", src=MAC_B) / IPv6(src=IP6_B, dst="ff02::1", hlim=255) / ICMPv6ND_RA(chlim=64, M=1, O=1, routerlifetime=1800, reachabletime=30000, retranstimer=1000) / ICMPv6NDOptSrcLLAddr(lladdr=MAC_B) / ICMPv6NDOptMTU(mtu=1500) / ICMPv6NDOptPrefixInfo(prefix="2001:db8::", prefixlen=64))


def dhcp(op, options, **bootp):
    return (Ether(dst="ff:ff:ff:ff:ff:ff", src=MAC_A) / IP(src="0.0.0.0" if op == 1 else IP_B, dst="255.255.255.255")
            / UDP(sport=68 if op == 1 else 67, dport=67 if op == 1 else 68)
            / BOOTP(op=op, xid=0x3903F326, chaddr=bytes.fromhex("02000000000a") + b"\0" * 10, **bootp) / DHCP(options=options))


add("dhcp-discover", "dhcp", dhcp(1, [("message-type", 1), ("client_id", b"\x01" + bytes.fromhex("02000000000a")), ("param_req_list", [1, 3, 6, 15, 51, 58, 59]), ("hostname", b"host1"), "end"], flags=0x8000))
add("dhcp-offer", "dhcp", dhcp(2, [("message-type", 2), ("server_id", IP_B), ("lease_time", 86400), ("renewal_time", 43200), ("rebinding_time", 75600), ("subnet_mask", "255.255.255.0"), ("router", "192.0.2.254"), ("name_server", "192.0.2.53", "192.0.2.54"), ("domain", b"example.net"), "end"], yiaddr=IP_A, siaddr=IP_B))
add("dhcp-request", "dhcp", dhcp(1, [("message-type", 3), ("requested_addr", IP_A), ("server_id", IP_B), "end"], secs=3))
add("dhcp-ack", "dhcp", dhcp(2, [("message-type", 5), ("server_id", IP_B), ("lease_time", 3600), "end"], yiaddr=IP_A, giaddr="10.1.1.1"))
add("dhcp-nak", "dhcp", dhcp(2, [("message-type", 6), ("server_id", IP_B), "end"]))
add("dhcp-release", "dhcp", dhcp(1, [("message-type", 7), ("server_id", IP_B), "end"], ciaddr=IP_A))
add("dhcp-pad-options", "dhcp", dhcp(1, [("message-type", 1), "pad", "pad", ("hostname", b"h"), "end", "pad"]))

# ---- malformed ----------------------------------------------------------------------
good_udp = bytes(eth_ab / IP(src=IP_A, dst=IP_B) / UDP(sport=1, dport=2) / (b"d" * 20))
add_raw("eth-truncated", "ethernet", good_udp[:10], "eth")
add_raw("vlan-tag-truncated", "vlan", bytes(eth_ab / Dot1Q(vlan=5) / IP())[:16], "eth")
add_raw("qinq-inner-tag-truncated", "vlan", bytes(eth_ab / Dot1AD(vlan=5) / Dot1Q(vlan=6) / IP())[:20], "eth")
add_raw("ipv4-truncated-header", "ipv4", good_udp[:14 + 12], "ipv4")
add_raw("ipv4-total-length-past-buffer", "ipv4", good_udp[:-5], "ipv4")
add("ipv4-version-5", "ipv4", eth_ab / IP(src=IP_A, dst=IP_B, version=5) / UDP(), reject="ipv4")
add("ipv4-ihl-4", "ipv4", eth_ab / IP(src=IP_A, dst=IP_B, ihl=4) / UDP(), reject="ipv4")
add("ipv4-total-length-below-ihl", "ipv4", eth_ab / IP(src=IP_A, dst=IP_B, len=16) / UDP(), reject="ipv4")
add("ipv4-ihl-past-total-length", "ipv4", eth_ab / IP(src=IP_A, dst=IP_B, ihl=15, len=28) / UDP(), reject="ipv4")
ra = bytes(eth_ab / IP(src=IP_A, dst=IP_B, options=[IPOption_Router_Alert()]) / UDP(sport=1, dport=2))
add_raw("ipv4-option-past-header", "ipv4", ra[:14 + 21] + bytes([40]) + ra[14 + 22:], "ipv4")
add_raw("ipv4-option-missing-length", "ipv4", ra[:14 + 20] + bytes([1, 1, 1, 0x44]) + ra[14 + 24:], "ipv4")
add("udp-length-past-buffer", "udp", eth_ab / IP(src=IP_A, dst=IP_B) / UDP(sport=1, dport=2, len=200) / b"short", reject="udp")
add("udp-length-below-header", "udp", eth_ab / IP(src=IP_A, dst=IP_B) / UDP(sport=1, dport=2, len=4) / b"abcd", reject="udp")
add_raw("udp-truncated-header", "udp", bytes(eth_ab / IP(src=IP_A, dst=IP_B, len=24, proto=17)) + b"\0\1\0\2", "udp")
add("tcp-dataofs-4", "tcp", eth_ab / IP(src=IP_A, dst=IP_B) / TCP(sport=1, dport=2, dataofs=4), reject="tcp")
add("tcp-dataofs-past-segment", "tcp", eth_ab / IP(src=IP_A, dst=IP_B) / TCP(sport=1, dport=2, dataofs=15), reject="tcp")
add("tcp-option-past-header", "tcp", eth_ab / IP(src=IP_A, dst=IP_B) / TCP(sport=1, dport=2, dataofs=6, options=[]) / bytes([2, 12, 5, 0xb4]), reject="tcp")
add("tcp-option-length-1", "tcp", eth_ab / IP(src=IP_A, dst=IP_B) / TCP(sport=1, dport=2, dataofs=6, options=[]) / bytes([8, 1, 0, 0]), reject="tcp")
add("icmp-truncated", "icmp", eth_ab / IP(src=IP_A, dst=IP_B, proto=1) / b"\x08\x00\x00\x00", reject="icmp")
add("arp-hwlen-8", "arp", eth_ab / ARP(hwlen=8, op=1), reject="arp")
add("arp-ptype-ipv6", "arp", eth_ab / ARP(ptype=0x86dd, op=1), reject="arp")
add_raw("arp-truncated", "arp", bytes(eth_ab / ARP(op=1))[:14 + 27], "arp")
bad_cookie = dhcp(1, [("message-type", 1), "end"])
bad_cookie[DHCP].options = [("message-type", 1), "end"]
raw = bytearray(bytes(bad_cookie))
raw[14 + 20 + 8 + 236] = 0x64
add_raw("dhcp-bad-cookie", "dhcp", bytes(raw), "dhcp")
add("dhcp-option-past-end", "dhcp", dhcp(1, [("message-type", 1)]) / bytes([12, 50, 0x41]), reject="dhcp")
add("dhcp-no-end", "dhcp", dhcp(1, [("message-type", 1), ("hostname", b"x")]), reject="dhcp")
add_raw("dhcp-truncated-bootp", "dhcp", bytes(dhcp(1, [("message-type", 1), "end"]))[:14 + 20 + 8 + 100], "ipv4")
add_raw("ipv6-truncated-header", "ipv6", bytes(eth_ab / IPv6())[:14 + 39], "ipv6")
add("ipv6-payload-length-past-buffer", "ipv6", eth_ab / IPv6(src=IP6_A, dst=IP6_B, plen=100) / UDP(sport=1, dport=2), reject="ipv6")
add("ipv6-version-4", "ipv6", eth_ab / IPv6(src=IP6_A, dst=IP6_B, version=4) / UDP(sport=1, dport=2), reject="ipv6")
add("ipv6-ext-past-payload", "ipv6", eth_ab / IPv6(src=IP6_A, dst=IP6_B) / IPv6ExtHdrDestOpt(len=4, autopad=0, nh=59), reject="ipv6")
add("ipv6-hbh-not-first", "ipv6", eth_ab / IPv6(src=IP6_A, dst=IP6_B) / IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() / UDP(sport=1, dport=2), reject="ipv6")
add("ipv6-fragment-truncated", "ipv6", eth_ab / IPv6(src=IP6_A, dst=IP6_B, nh=44) / b"\x11\x00\x00", reject="ipv6")
add("icmpv6-ns-option-length-0", "icmpv6", eth_ab / IPv6(src=IP6_A, dst=IP6_B, hlim=255) / ICMPv6ND_NS(tgt=IP6_B) / bytes([1, 0, 0, 0, 0, 0, 0, 0]), reject="icmpv6")
add("icmpv6-ns-option-past-end", "icmpv6", eth_ab / IPv6(src=IP6_A, dst=IP6_B, hlim=255) / ICMPv6ND_NS(tgt=IP6_B) / bytes([1, 2, 0, 0, 0, 0, 0, 0]), reject="icmpv6")
add_raw("icmpv6-ns-truncated", "icmpv6", bytes(eth_ab / IPv6(src=IP6_A, dst=IP6_B, hlim=255, plen=20, nh=58) / bytes([135, 0, 0, 0]) / (b"\0" * 16)), "icmpv6")
add("icmpv6-echo-truncated", "icmpv6", eth_ab / IPv6(src=IP6_A, dst=IP6_B, nh=58) / bytes([128, 0, 0, 0, 0, 1]), reject="icmpv6")

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
wrpcap(os.path.join(out, "corpus.pcap"), frames, linktype=1)  # DLT_EN10MB
with open(os.path.join(out, "corpus.json"), "w") as f:
    json.dump(entries, f, indent=1)
print(len(entries))
