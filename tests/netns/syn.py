#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Unsolicited SYNs from the internet side (RFC 5382 REQ-4 checks).

  syn.py probe SRC SPORT DST DPORT SECS
      sends one crafted SYN (raw, IP_HDRINCL, both checksums ours) and
      listens SECS seconds for what comes back about it: ICMP errors
      quoting it, and TCP segments from DST:DPORT to SRC:SPORT.
  syn.py simopen SRC SPORT DST DPORT SECS
      a real socket connects SRC:SPORT -> DST:DPORT (its SYN is the
      unsolicited one) and listens the same way; reports whether the
      connection was made (the peer opened towards it meanwhile).
  syn.py connect SRC SPORT DST DPORT
      the peer's side of a simultaneous open: connect, print ok.

probe and simopen print one JSON object: the SYN's bytes, the connect
outcome, and every ICMP seen (seconds after the SYN, source, type, code,
both checksums verified, the quoted bytes).
"""
import json
import select
import socket
import struct
import sys
import time


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def craft_syn(src, sport, dst, dport):
    sa, da = socket.inet_aton(src), socket.inet_aton(dst)
    opts = struct.pack("!BBH", 2, 4, 1460)      # MSS, as a real SYN has
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 0x01020304, 0,
                      (5 + len(opts) // 4) << 4, 0x02, 64240, 0, 0) + opts
    c = csum(sa + da + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0x4242, 0x4000,
                     64, 6, 0, sa, da)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + tcp


def listen(src, sport, dst, dport, secs, t0, icmp, tcp, conn=None):
    """ICMP errors quoting src:sport -> dst:dport, and TCP segments from
    dst:dport to src:sport, for secs seconds after t0."""
    icmps, segs, connected = [], 0, None
    want = socket.inet_aton(src) + socket.inet_aton(dst)
    ports = struct.pack("!HH", sport, dport)
    while True:
        left = t0 + secs - time.monotonic()
        if left <= 0:
            break
        wl = [conn] if conn and connected is None else []
        r, w, _ = select.select([icmp, tcp], wl, [], left)
        now = time.monotonic() - t0
        if conn in w:
            err = conn.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            connected = "ok" if not err else "error %d" % err
        if icmp in r:
            p = icmp.recv(2048)
            ihl = (p[0] & 15) * 4
            q = p[ihl + 8:]
            if len(q) >= 28 and q[12:20] == want and \
                    q[(q[0] & 15) * 4:][:4] == ports:
                icmps.append({"t": round(now, 3),
                              "src": socket.inet_ntoa(p[12:16]),
                              "type": p[ihl], "code": p[ihl + 1],
                              "ip_csum_ok": csum(p[:ihl]) == 0,
                              "icmp_csum_ok": csum(p[ihl:]) == 0,
                              "quote": q.hex()})
        if tcp in r:
            p = tcp.recv(2048)
            ihl = (p[0] & 15) * 4
            if p[12:16] == socket.inet_aton(dst) and \
                    p[ihl:ihl + 4] == struct.pack("!HH", dport, sport):
                segs += 1
    return icmps, segs, connected


def main():
    cmd, src, sport, dst, dport = sys.argv[1], sys.argv[2], \
        int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    if cmd == "connect":
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(5)
        s.bind((src, sport))
        s.connect((dst, dport))
        print("ok")
        time.sleep(1)
        return
    secs = float(sys.argv[6])
    icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    out = {}
    conn = None
    if cmd == "probe":
        syn = craft_syn(src, sport, dst, dport)
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                            socket.IPPROTO_RAW)
        t0 = time.monotonic()
        raw.sendto(syn, (dst, 0))
        out["syn"] = syn.hex()
    else:
        conn = socket.socket()
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        conn.bind((src, sport))
        conn.setblocking(False)
        t0 = time.monotonic()
        conn.connect_ex((dst, dport))
    icmps, segs, connected = listen(src, sport, dst, dport, secs, t0,
                                    icmp, tcp, conn)
    if cmd == "probe":
        out["tcp_segments"] = segs
    else:
        out["connected"] = connected
    out["icmp"] = icmps
    print(json.dumps(out))


if __name__ == "__main__":
    main()
