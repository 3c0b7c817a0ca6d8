#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""whoami reflector for the netns tests: answers every UDP datagram and
TCP connection with the source ip:port it saw. A TCP client may first send
'SHA <n>\\n' followed by n bytes; the reply then also carries the length
and sha256 of what arrived (a real transfer check).

  whoami.py serve ADDR PORT           (UDP and TCP, until killed)
  whoami.py echo ADDR PORT            (TCP line echo, prefixed with the peer)
  whoami.py udp SRC SPORT DST DPORT    prints what the server saw
  whoami.py tcp SRC SPORT DST DPORT [NBYTES]
"""
import hashlib
import os
import socket
import sys
import threading


def serve_udp(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(("%s:%d" % peer).encode(), peer)


def handle_tcp(c, peer):
    with c:
        f = c.makefile("rb")
        line = f.readline()
        reply = "%s:%d" % peer
        if line.startswith(b"SHA "):
            n = int(line.split()[1])
            h, got = hashlib.sha256(), 0
            while got < n:
                chunk = f.read(min(65536, n - got))
                if not chunk:
                    break
                h.update(chunk)
                got += len(chunk)
            reply += " %d %s" % (got, h.hexdigest())
        c.sendall(reply.encode() + b"\n")


def serve_tcp(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(64)
    while True:
        c, peer = s.accept()
        threading.Thread(target=handle_tcp, args=(c, peer), daemon=True).start()


def echo_tcp(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(64)

    def loop(c, peer):
        with c:
            try:
                for line in c.makefile("rb"):
                    c.sendall(b"%s:%d " % (peer[0].encode(), peer[1]) + line)
            except ConnectionResetError:
                pass    # the tests end connections with RST on purpose
    while True:
        c, peer = s.accept()
        threading.Thread(target=loop, args=(c, peer), daemon=True).start()


def client_sock(kind, src, sport):
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(5)
    s.bind((src, sport))
    return s


def main():
    cmd = sys.argv[1]
    if cmd == "serve":
        addr, port = sys.argv[2], int(sys.argv[3])
        threading.Thread(target=serve_udp, args=(addr, port), daemon=True).start()
        serve_tcp(addr, port)
    elif cmd == "echo":
        echo_tcp(sys.argv[2], int(sys.argv[3]))
    elif cmd == "udp":
        s = client_sock(socket.SOCK_DGRAM, sys.argv[2], int(sys.argv[3]))
        s.sendto(b"who", (sys.argv[4], int(sys.argv[5])))
        print(s.recvfrom(1024)[0].decode())
    elif cmd == "tcp":
        s = client_sock(socket.SOCK_STREAM, sys.argv[2], int(sys.argv[3]))
        s.connect((sys.argv[4], int(sys.argv[5])))
        n = int(sys.argv[6]) if len(sys.argv) > 6 else 0
        if n:
            data = os.urandom(n)
            s.sendall(b"SHA %d\n" % n + data)
            print(s.makefile("rb").readline().decode().strip(),
                  hashlib.sha256(data).hexdigest())
        else:
            s.sendall(b"\n")
            print(s.makefile("rb").readline().decode().strip())


if __name__ == "__main__":
    main()
