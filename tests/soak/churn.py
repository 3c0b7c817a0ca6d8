#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Flow churn for the soak: churn.py SECONDS RATE DST PORT SUB...

New UDP flows (and one TCP connection in ten) from random subscribers and
random source ports to the whoami reflector at DST:PORT, RATE flows a
second, each tagged "sub=<address>" for traffic.py lookups. Short timers
make the blocks idle out and be granted again while it runs. Prints
"flows N answered M" at the end.
"""
import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "netns"))
import traffic  # noqa: E402


def main():
    secs, rate = float(sys.argv[1]), float(sys.argv[2])
    dst, port, subs = sys.argv[3], int(sys.argv[4]), sys.argv[5:]
    rnd = random.Random(1)
    t0 = time.monotonic()
    n = ok = 0
    while time.monotonic() - t0 < secs:
        sub = rnd.choice(subs)
        tag = ("sub=%s" % sub).encode()
        if n % 10 == 9:
            ok += traffic.tcp(sub, dst, port, tag)
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(0.3)
            try:
                s.bind((sub, 0))
                s.sendto(tag, (dst, port))
                s.recvfrom(2048)
                ok += 1
            except OSError:
                pass
            finally:
                s.close()
        n += 1
        delay = t0 + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print("flows %d answered %d" % (n, ok))


if __name__ == "__main__":
    main()
