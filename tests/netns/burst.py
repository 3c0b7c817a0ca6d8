#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""burst.py N DST PORT ROUND GAP_MS [FIRST] - one UDP datagram from each of
N new subscribers 100.65.0.FIRST, ... (FIRST 1 by default) to DST:PORT,
ROUND of them at a time with GAP_MS between rounds (GAP_MS 0: as fast as
it can). A raw socket writes the source address, so the namespace needs
none of them. Prints "sent N in S s, R per second".
"""
import socket
import struct
import sys
import time


def datagram(src, dst, port):
    udp = struct.pack('!HHHH', 40000, port, 8 + 4, 0) + b'new!'
    # Length and checksum: the kernel fills both for IP_HDRINCL.
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 0, 0, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ip + udp


def main():
    n, dst, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    per, gap = int(sys.argv[4]), float(sys.argv[5]) / 1000
    first = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    pkts = [datagram('100.65.%d.%d' % (i >> 8, i & 255), dst, port)
            for i in range(first, first + n)]
    t0 = time.monotonic()
    for i, p in enumerate(pkts):
        s.sendto(p, (dst, 0))
        if gap and (i + 1) % per == 0:
            time.sleep(gap)
    dt = time.monotonic() - t0
    print('sent %d in %.3f s, %d per second' % (n, dt, n / dt))


if __name__ == '__main__':
    main()
