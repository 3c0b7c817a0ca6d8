#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""frag.py - fragmented UDP for the netns tests (run inside a namespace).

  frag.py echo ADDR PORT [reverse]
      UDP echo server. 'reverse': the answer leaves as IP fragments in
      reverse order (last first), crafted with scapy.
  frag.py send SRC SPORT DST DPORT SIZE [reverse]
      Sends SIZE random bytes from SRC:SPORT (the kernel fragments them,
      or with 'reverse' scapy sends the fragments last first), waits for
      the echo; prints "ok SIZE" when it is byte-identical, else why not.
  frag.py flood DST SECONDS
      Later fragments (offset 1480, random ids) of datagrams that never
      had a first fragment, for SECONDS, as fast as a raw socket goes.
"""
import os
import random
import socket
import struct
import sys
import time


def scapy_send_reversed(src, sport, dst, dport, data, iface=None):
    from scapy.all import IP, UDP, Raw, fragment, send, conf
    conf.verb = 0
    pkt = IP(src=src, dst=dst, id=random.randint(1, 65535)) / \
        UDP(sport=sport, dport=dport) / Raw(data)
    frags = fragment(pkt, fragsize=1000)
    send(list(reversed(frags)), iface=iface)


def echo(addr, port, reverse):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        data, peer = s.recvfrom(65535)
        if reverse:
            scapy_send_reversed(addr, port, peer[0], peer[1], data)
        else:
            s.sendto(data, peer)


def send(src, sport, dst, dport, size, reverse):
    data = os.urandom(size)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, sport))
    s.settimeout(5)
    if reverse:
        scapy_send_reversed(src, sport, dst, dport, data)
    else:
        s.sendto(data, (dst, dport))
    try:
        got, _ = s.recvfrom(65535)
    except socket.timeout:
        print("timeout")
        return
    print("ok %d" % len(got) if got == data else "bad %d" % len(got))


def flood(dst, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    payload = b"\0" * 512
    # Source 0: the kernel writes the interface's address, and the
    # header checksum.
    end = time.monotonic() + seconds
    count = 0
    while time.monotonic() < end:
        count += 1
        ident = random.randint(1, 65535)
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident,
                          185, 64, 17, 0, b"\0\0\0\0", socket.inet_aton(dst))
        try:
            s.sendto(hdr + payload, (dst, 0))
        except OSError:
            pass
    print("sent %d" % count)


def main():
    a = sys.argv[1:]
    if a[0] == "echo":
        echo(a[1], int(a[2]), len(a) > 3)
    elif a[0] == "send":
        send(a[1], int(a[2]), a[3], int(a[4]), int(a[5]), len(a) > 6)
    elif a[0] == "flood":
        flood(a[1], float(a[2]))


if __name__ == "__main__":
    main()
