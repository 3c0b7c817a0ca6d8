#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""sessgen.py SUBS PORTS DST - one UDP datagram for each of SUBS x PORTS
new sessions: subscribers 100.65.0.1, ... (source port 40000) to DST on
destination ports 10000 .. 10000 + PORTS - 1, subscriber by subscriber in
turn, as fast as one raw socket goes. Every datagram opens a session; each
subscriber needs one mapping. Prints "sent N in S s, R per second".
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'netns'))
from burst import datagram  # noqa: E402 (source port 40000)


def main():
    subs, ports, dst = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    srcs = ['100.65.%d.%d' % (i >> 8, i & 255) for i in range(1, subs + 1)]
    pkts = [datagram(src, dst, 10000 + p) for p in range(ports)
            for src in srcs]
    t0 = time.monotonic()
    for p in pkts:
        s.sendto(p, (dst, 0))
    dt = time.monotonic() - t0
    print('sent %d in %.3f s, %d per second' % (len(pkts), dt,
                                                 len(pkts) / dt))


if __name__ == '__main__':
    main()
