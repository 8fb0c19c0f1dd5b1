#!/usr/bin/env python3
"""An impaired wire between two interfaces: a user-space bridge with delay, jitter, reordering and loss.

This kernel has no netem qdisc (CONFIG_NET_SCH_NETEM is off; only HTB, TBF, FIFO and ingress are
built), so the tests build the medium themselves. Run inside a namespace of its own that holds one
end of each of two veth pairs and no addresses (the kernel there neither answers nor forwards):

    host ns ─veth─ [ left  impair.py  right ] ─veth─ the other side

Every frame that arrives on one interface leaves on the other after --delay-ms (plus a uniform
0..--jitter-ms); --reorder-percent of them are held --hold-ms longer, so frames behind them overtake
them; --loss-percent are dropped. Both directions, each with its own queue. Frames leave in order of
their due time, so with no jitter and no hold the wire keeps order exactly.

It runs at most --seconds, or until SIGTERM/SIGINT, then prints one line of counters per direction:
    left>right received=N forwarded=N dropped=N held=N overtaken=N
`held` counts frames given the extra hold; `overtaken` counts frames that left after a frame that
arrived later than them (what a receiver sees as reordering), measured, not intended.
"""
import argparse
import heapq
import random
import select
import signal
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4   # the socket's own sends, looped back to it: not traffic to forward
RECEIVE_BUFFER = 8 << 20


class Direction:
    """One way across the wire: frames read from `source`, queued by due time, written to `sink`."""

    def __init__(self, name, source, sink):
        self.name = name
        self.source = source
        self.sink = sink
        self.received = 0
        self.forwarded = 0
        self.dropped = 0
        self.held = 0
        self.overtaken = 0
        self.last_sent_arrival = -1

    def counters(self):
        return (f'{self.name} received={self.received} forwarded={self.forwarded} dropped={self.dropped} '
                f'held={self.held} overtaken={self.overtaken}')


def open_socket(interface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    s.bind((interface, 0))
    s.setblocking(False)
    return s


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('left')
    parser.add_argument('right')
    parser.add_argument('--delay-ms', type=float, default=0.0)
    parser.add_argument('--jitter-ms', type=float, default=0.0)
    parser.add_argument('--reorder-percent', type=float, default=0.0)
    parser.add_argument('--hold-ms', type=float, default=5.0)
    parser.add_argument('--loss-percent', type=float, default=0.0)
    parser.add_argument('--seconds', type=float, default=120.0)
    parser.add_argument('--seed', type=int, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    left, right = open_socket(args.left), open_socket(args.right)
    directions = {left.fileno(): Direction('left>right', left, right),
                  right.fileno(): Direction('right>left', right, left)}
    queue = []   # (due, arrival number, direction, frame): one heap, both directions
    arrivals = 0
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    print('READY', flush=True)
    deadline = time.monotonic() + args.seconds
    while not stopping and time.monotonic() < deadline:
        now = time.monotonic()
        wait = min(queue[0][0] - now, 0.05) if queue else 0.05
        try:
            readable, _, _ = select.select([left, right], [], [], max(wait, 0))
        except InterruptedError:
            continue
        now = time.monotonic()
        for s in readable:
            d = directions[s.fileno()]
            # Drain what is there, bounded so the other direction and the due frames get their turn.
            for _ in range(256):
                try:
                    frame, address = s.recvfrom(65536)
                except BlockingIOError:
                    break
                if address[2] == PACKET_OUTGOING:
                    continue
                d.received += 1
                if rng.random() * 100 < args.loss_percent:
                    d.dropped += 1
                    continue
                due = now + (args.delay_ms + rng.random() * args.jitter_ms) / 1000
                if rng.random() * 100 < args.reorder_percent:
                    due += args.hold_ms / 1000
                    d.held += 1
                arrivals += 1
                heapq.heappush(queue, (due, arrivals, d, frame))
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, arrival, d, frame = heapq.heappop(queue)
            try:
                d.sink.send(frame)
            except OSError:
                d.dropped += 1   # the sink's queue is full (ENOBUFS): the wire loses it
                continue
            d.forwarded += 1
            if arrival < d.last_sent_arrival:
                d.overtaken += 1
            d.last_sent_arrival = max(d.last_sent_arrival, arrival)

    for d in directions.values():
        print(d.counters(), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
