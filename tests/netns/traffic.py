#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Traffic and capture checks for the cgnatd netns tests.

  traffic.py tagged S1 PORT ROUNDS SUB...
      every subscriber sends UDP, TCP and ICMP echo to S1 carrying
      "sub=<its address>" (UDP/TCP to the whoami reflector on PORT);
      prints "sent N answered M".
  traffic.py flowmap SRC DST PORT FIRST N RATE
      N new UDP flows from SRC ports FIRST.. at RATE per second, tagged;
      prints "SPORT EXT" each (EXT: what the reflector saw, or -).
  traffic.py stream SRC DST PORT SECONDS RATE
      UDP datagrams with a sequence number at RATE per second; prints
      "sent N answered M" (the reflector answers each one).
  traffic.py tcpstream SRC DST PORT SECONDS
      one TCP connection paced at 200 writes of 512 bytes a second,
      checked by sha256 at the end; prints "ok BYTES" or "bad ...".
  traffic.py lookups PCAP CMD...
      for every packet of PCAP to or from 203.0.113.0/24, the subscriber
      behind its flow (from the "sub=" payloads) must be what
      `CMD lookup - --json` names for EXT:PORT at its capture time (and
      the first ten again with `CMD lookup EXT:PORT --at TIME`); a
      packet's subscriber is the tag its flow carried last at or before
      it (ports reused by another subscriber later change owner); prints
      "packets N checked N unknown N wrong N shared N" (shared: external
      endpoints seen carrying two subscribers' tags) and the first
      mismatches.
"""
import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
import time


def icmp_csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ping(src, dst, ident, payload):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.bind((src, 0))
    s.settimeout(2)
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, 1)
    c = icmp_csum(hdr + payload)
    s.sendto(struct.pack("!BBHHH", 8, 0, c, ident, 1) + payload, (dst, 0))
    try:
        while True:
            data, peer = s.recvfrom(2048)
            ihl = (data[0] & 15) * 4
            if data[ihl] == 0 and peer[0] == dst:
                return 1
    except socket.timeout:
        return 0
    finally:
        s.close()


def udp(src, dst, port, payload):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(2)
    s.sendto(payload, (dst, port))
    try:
        s.recvfrom(2048)
        return 1
    except socket.timeout:
        return 0
    finally:
        s.close()


def tcp(src, dst, port, payload):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.bind((src, 0))
        s.connect((dst, port))
        s.sendall(payload + b"\n")
        return 1 if s.makefile("rb").readline() else 0
    except OSError:
        return 0
    finally:
        s.close()


def tagged(dst, port, rounds, subs):
    sent = ok = 0
    for r in range(rounds):
        for i, sub in enumerate(subs):
            tag = ("sub=%s" % sub).encode()
            ok += udp(sub, dst, port, tag)
            ok += tcp(sub, dst, port, tag)
            ok += ping(sub, dst, (os.getpid() + i * 7 + r) & 0xFFFF, tag)
            sent += 3
    print("sent %d answered %d" % (sent, ok))


def flowmap(src, dst, port, first, n, rate):
    """n new UDP flows from src:first.. at rate per second, each tagged;
    prints "SPORT EXT" per flow (EXT as the whoami server saw it, or -)."""
    t0 = time.monotonic()
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((src, first + i))
        s.settimeout(0.5)
        s.sendto(("sub=%s" % src).encode(), (dst, port))
        try:
            ext = s.recv(2048).decode()
        except socket.timeout:
            ext = "-"
        s.close()
        print("%d %s" % (first + i, ext), flush=True)
        delay = t0 + (i + 1) / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def stream(src, dst, port, seconds, rate):
    """The reflector answers every datagram once: count the answers."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.setblocking(False)
    n = int(seconds * rate)
    got = 0
    t0 = time.monotonic()
    for i in range(n):
        s.sendto(b"%d" % i, (dst, port))
        while time.monotonic() < t0 + (i + 1) / rate:
            try:
                s.recv(2048)
                got += 1
            except BlockingIOError:
                time.sleep(0.0005)
    end = time.monotonic() + 2
    while got < n and time.monotonic() < end:
        try:
            s.recv(2048)
            got += 1
        except BlockingIOError:
            time.sleep(0.01)
    print("sent %d answered %d" % (n, got))


def tcpstream(src, dst, port, seconds):
    chunk = os.urandom(512)
    writes = int(seconds * 200)
    h = hashlib.sha256()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(10)
    s.bind((src, 0))
    s.connect((dst, port))
    s.sendall(b"SHA %d\n" % (writes * len(chunk)))
    t0 = time.monotonic()
    for i in range(writes):
        s.sendall(chunk)
        h.update(chunk)
        delay = t0 + (i + 1) / 200 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    reply = s.makefile("rb").readline().decode().split()
    if len(reply) == 3 and reply[1] == str(writes * 512) and \
            reply[2] == h.hexdigest():
        print("ok %s" % reply[1])
    else:
        print("bad %s" % " ".join(reply))


POOL = (203 << 24) | (0 << 16) | (113 << 8)


def in_pool(a):
    return a & 0xFFFFFF00 == POOL


def ip(a):
    return socket.inet_ntoa(struct.pack("!I", a))


def packets(path):
    """(time_us, proto, src, sport, dst, dport, payload) per IPv4 packet;
    for ICMP echo the identifier is both ports."""
    for p in packets_flags(path):
        yield p[:7]


def packets_flags(path):
    """packets() with the TCP flags byte last (0 for UDP and ICMP)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    nano = magic == 0xA1B23C4D
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(pkt) < 34 or pkt[12:14] != b"\x08\x00":
            continue
        iph = pkt[14:]
        ihl = (iph[0] & 15) * 4
        proto = iph[9]
        src, dst = struct.unpack("!II", iph[12:20])
        l4 = iph[ihl:struct.unpack("!H", iph[2:4])[0]]
        us = sec * 1000000 + (frac // 1000 if nano else frac)
        if proto in (6, 17) and len(l4) >= 8:
            sp, dp = struct.unpack("!HH", l4[:4])
            hl = (l4[12] >> 4) * 4 if proto == 6 else 8
            fl = l4[13] if proto == 6 and len(l4) >= 14 else 0
            yield us, proto, src, sp, dst, dp, l4[hl:], fl
        elif proto == 1 and len(l4) >= 8 and l4[0] in (0, 8):
            ident = struct.unpack("!H", l4[4:6])[0]
            yield us, proto, src, ident, dst, ident, l4[8:], 0


def tag_at(tags, us):
    """The tag of the flow current at us: the last one sent at or before
    it (an external endpoint reused by another subscriber later, as under
    churn, carries the new one's tag from then on), else the first."""
    cur = tags[0][1]
    for t, sub in tags:
        if t > us:
            break
        cur = sub
    return cur


def lookups(path, cmd):
    # A TCP connection's handshake comes before its tagged data: its
    # packets are keyed by the connection (the SYN that began it), so an
    # external endpoint reused by another subscriber, as under churn, does
    # not lend the earlier subscriber's tag to the new one's handshake.
    conn = {}  # key -> (connection number, it carried its tag)
    flows, pkts = {}, []
    for us, proto, src, sp, dst, dp, pay, fl in packets_flags(path):
        if in_pool(src):
            ext, rem = (src, sp), (dst, dp if proto != 1 else 0)
        elif in_pool(dst):
            ext, rem = (dst, dp), (src, sp if proto != 1 else 0)
        else:
            continue
        key = (proto, ext, rem)
        tag = pay.startswith(b"sub=")
        if proto == 6:
            n, tagged = conn.get(key, (0, False))
            # A SYN out begins a new connection once the one before has
            # carried its tag; until then it is a retransmission (also
            # after a reset of a SYN that met the endpoint's old state).
            if fl & 0x12 == 0x02 and in_pool(src) and tagged:
                n, tagged = n + 1, False
            conn[key] = (n, tagged or tag)
            key = key + (n,)
        if tag:
            flows.setdefault(key, []).append(
                (us, pay[4:].split(b"\n")[0].decode()))
        pkts.append((us, key))
    # Every packet through one `lookup -` (queries on stdin, one JSON
    # answer per line), the first ten again one by one as a cross-check.
    queries, want = [], []
    unknown = 0
    for us, key in pkts:
        sub = tag_at(flows[key], us) if key in flows else None
        if sub is None:
            unknown += 1
            continue
        ep = "%s:%d" % (ip(key[1][0]), key[1][1])
        queries.append("%s @%d.%06d" % (ep, us // 1000000, us % 1000000))
        want.append((ep, us // 1000, sub))
    r = subprocess.run(cmd + ["lookup", "-", "--json"], capture_output=True,
                       text=True, input="\n".join(queries) + "\n")
    got = {}
    for line in r.stdout.splitlines():
        d = json.loads(line)
        q, m = d["query"], d["matches"]
        got[("%s:%d" % (q["address"], q["port"]), q["at_ms"])] = \
            m[0]["subscriber"] if len(m) == 1 else "several" if m else None
    wrong, bad = 0, []
    for ep, ms, sub in want:
        g = got.get((ep, ms), "no answer")
        if g != sub:
            wrong += 1
            bad.append("%s at %d: %s, expected %s" % (ep, ms, g, sub))
    for q, (ep, ms, sub) in list(zip(queries, want))[:10]:
        r1 = subprocess.run(cmd + ["lookup", ep, "--at", q.split()[1],
                                   "--json"], capture_output=True, text=True)
        m = json.loads(r1.stdout)["matches"] if r1.returncode == 0 else []
        if r1.returncode != 0 or m[0]["subscriber"] != sub:
            wrong += 1
            bad.append("single lookup %s: %s" % (q, r1.stdout.strip()))
    owners = {}
    for (proto, ext, rem, *_), tags in flows.items():
        owners.setdefault((proto, ext), set()).update(t[1] for t in tags)
    shared = sum(1 for s in owners.values() if len(s) > 1)
    print("packets %d checked %d unknown %d wrong %d shared %d" %
          (len(pkts), len(want), unknown, wrong, shared))
    for b in bad[:5]:
        print("  " + b)


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "tagged":
        tagged(a[0], int(a[1]), int(a[2]), a[3:])
    elif cmd == "flowmap":
        flowmap(a[0], a[1], int(a[2]), int(a[3]), int(a[4]), float(a[5]))
    elif cmd == "stream":
        stream(a[0], a[1], int(a[2]), float(a[3]), float(a[4]))
    elif cmd == "tcpstream":
        tcpstream(a[0], a[1], int(a[2]), float(a[3]))
    elif cmd == "lookups":
        lookups(a[0], a[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
