#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A PCP client (RFC 6887) of the test's own, written from the RFC's
figures apart from daemon/pcp_codec.c, so the two check each other.

  pcpc.py map SRC GW PROTO INT_PORT LIFETIME [options]
      prints "result R lifetime L epoch E ext IP:PORT"
      options: --suggest PORT  --suggest-ip IP  --prefer-failure
               --nonce HEX  --third-party IP  --client-ip IP
               --version V  --opcode N  --peer IP:PORT
               --option CODE:HEXDATA  --truncate N (bytes sent)
  pcpc.py announce SRC GW        an ANNOUNCE request
  pcpc.py listen SECONDS         unsolicited ANNOUNCEs on port 5350:
      prints "announce epoch E" per one heard
  pcpc.py flood SRC GW N         N MAP requests at once: "sent N answered M"
"""
import os
import socket
import struct
import sys
import time

PORT = 5351


def v4mapped(ip):
    return b"\0" * 10 + b"\xff\xff" + socket.inet_aton(ip)


def request(args):
    o = {"suggest": 0, "suggest-ip": "0.0.0.0", "nonce": "0102030405060708090a0b0c",
         "version": 2, "opcode": 1, "client-ip": None, "third-party": None,
         "prefer-failure": False, "peer": None, "option": [], "truncate": 0}
    src, proto, iport, life = args[0], args[2], int(args[3]), int(args[4])
    i = 5
    while i < len(args):
        k = args[i][2:]
        if k == "prefer-failure":
            o[k] = True
            i += 1
            continue
        if k == "option":
            o[k].append(args[i + 1])
        else:
            o[k] = args[i + 1]
        i += 2
    pnum = {"udp": 17, "tcp": 6}.get(proto, None)
    pnum = int(proto) if pnum is None else pnum
    op = int(o["opcode"])
    b = struct.pack("!BBHI", int(o["version"]), op, 0, life)
    b += v4mapped(o["client-ip"] or src)
    b += bytes.fromhex(o["nonce"])
    b += struct.pack("!B3xHH", pnum, iport, int(o["suggest"]))
    b += v4mapped(o["suggest-ip"])
    if op == 2:
        pip, pport = o["peer"].split(":")
        b += struct.pack("!H2x", int(pport)) + v4mapped(pip)
    if o["third-party"]:
        b += struct.pack("!BxH", 1, 16) + v4mapped(o["third-party"])
    if o["prefer-failure"]:
        b += struct.pack("!BxH", 2, 0)
    for opt in o["option"]:
        code, data = opt.split(":")
        data = bytes.fromhex(data)
        b += struct.pack("!BxH", int(code), len(data)) + data
        b += b"\0" * (-len(data) % 4)
    if int(o["truncate"]):
        b = b[:int(o["truncate"])]
    return b


def parse(r):
    ver, op, _, res, life, epoch = struct.unpack("!BBBBII", r[:12])
    ext = "-"
    if len(r) >= 60 and (op & 0x7f) in (1, 2):
        port = struct.unpack("!H", r[42:44])[0]
        ext = "%s:%d" % (socket.inet_ntoa(r[56:60]), port)
    assert op & 0x80, "not a response"
    return "result %d lifetime %d epoch %d ext %s version %d" % (
        res, life, epoch, ext, ver)


def send(src, gw, payload, timeout=2.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(timeout)
    s.sendto(payload, (gw, PORT))
    try:
        return s.recv(2048)
    except socket.timeout:
        return None


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "map":
        r = send(a[0], a[1], request(a))
        print(parse(r) if r else "no answer")
    elif cmd == "announce":
        r = send(a[0], a[1], struct.pack("!BBHI", 2, 0, 0, 0) + v4mapped(a[0]))
        print(parse(r) if r else "no answer")
    elif cmd == "listen":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", 5350))
        end = time.time() + float(a[0])
        while time.time() < end:
            s.settimeout(max(0.05, end - time.time()))
            try:
                r = s.recv(2048)
            except socket.timeout:
                break
            if len(r) >= 24 and r[0] == 2 and r[1] == 0x80 and r[3] == 0:
                print("announce epoch %d" % struct.unpack("!I", r[8:12]),
                      flush=True)
    elif cmd == "flood":
        src, gw, n = a[0], a[1], int(a[2])
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((src, 0))
        for i in range(n):
            s.sendto(request([src, gw, "udp", str(20000 + i % 2), "60"]),
                     (gw, PORT))
        got = 0
        s.settimeout(1.0)
        try:
            while True:
                s.recv(2048)
                got += 1
        except socket.timeout:
            pass
        print("sent %d answered %d" % (n, got))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
