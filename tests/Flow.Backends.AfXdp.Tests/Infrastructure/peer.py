#!/usr/bin/env python3
"""Kernel-side peer for the AF_XDP tests, run inside the test's network namespace.

  scapy-send IFACE HEX...        sendp() each frame with scapy
  sniff IFACE COUNT TIMEOUT_S    print 'ready', then the hex of each frame received (not sent)
                                 until COUNT frames or the timeout; then 'done N'
  send IFACE CPU COUNT HEX       pin to CPU (so XPS picks that CPU's tx queue), send HEX COUNT
                                 times with a sequence number in bytes 14..21
"""
import os
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_RCVBUFFORCE = 33


def sniff(iface, count, timeout):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    # Root may exceed rmem_max: a burst of thousands of frames must not overflow the socket.
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
    s.bind((iface, 0))
    print("ready", flush=True)
    deadline = time.monotonic() + timeout
    got = 0
    while got < count:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([s], [], [], left)
        if not r:
            break
        data, addr = s.recvfrom(65535)
        if addr[2] == PACKET_OUTGOING:
            continue
        print(data.hex(), flush=True)
        got += 1
    print("done %d" % got, flush=True)


def send(iface, cpu, count, frame_hex):
    os.sched_setaffinity(0, {cpu})
    frame = bytearray(bytes.fromhex(frame_hex))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for i in range(count):
        frame[14:22] = struct.pack(">Q", i)
        s.send(frame)
    print("sent %d" % count, flush=True)


def main():
    cmd = sys.argv[1]
    if cmd == "scapy-send":
        from scapy.all import Ether, sendp
        sendp([Ether(bytes.fromhex(h)) for h in sys.argv[3:]], iface=sys.argv[2], verbose=0)
        print("sent %d" % (len(sys.argv) - 3), flush=True)
    elif cmd == "sniff":
        sniff(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    elif cmd == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main()
