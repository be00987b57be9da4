#!/usr/bin/env python3
"""A small real SOCKS4 and SOCKS4a proxy for tests/proxy.bats (none of
squid, dante and microsocks speaks SOCKS4a).  Listens on 127.0.0.1, port 0
(the port goes to PORTFILE), serves CONNECT requests, one thread per
client, for at most 60 s.  Each request (user id, and the name or address
asked for) is appended to LOGFILE as a line, so a test can check what the
client sent.  Loopback only; every wait is bounded.

usage: socks4a-peer.py PORTFILE LOGFILE
"""
import select
import socket
import struct
import sys
import threading

import peerlib


def read_exact(c, n):
    data = b""
    while len(data) < n:
        chunk = c.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def read_nul(c, limit=512):
    data = b""
    while len(data) < limit:
        ch = read_exact(c, 1)
        if ch == b"\0":
            return data
        data += ch
    raise EOFError


def relay(a, b):
    socks = [a, b]
    while True:
        ready, _, _ = select.select(socks, [], [], 20)
        if not ready:
            return
        for s in ready:
            data = s.recv(65536)
            if not data:
                return
            (b if s is a else a).sendall(data)


def serve(c, log):
    c.settimeout(20)
    try:
        head = read_exact(c, 8)
        ver, cmd, port = struct.unpack("!BBH", head[:4])
        user = read_nul(c).decode("latin-1")
        ip = head[4:]
        if ip[:3] == b"\0\0\0" and ip[3] != 0:
            host = read_nul(c).decode("latin-1")
        else:
            host = socket.inet_ntoa(ip)
        with open(log, "a") as f:
            f.write("%d %d user=%s %s:%d\n" % (ver, cmd, user, host, port))
        if ver != 4 or cmd != 1:
            c.sendall(b"\0\x5b" + b"\0" * 6)
            return
        try:
            t = socket.create_connection((host, port), timeout=5)
        except OSError:
            c.sendall(b"\0\x5b" + b"\0" * 6)
            return
        c.sendall(b"\0\x5a" + b"\0" * 6)
        relay(c, t)
        t.close()
    except (EOFError, OSError):
        pass
    finally:
        c.close()


def main(portfile, log):
    s = peerlib.listen(portfile)
    s.settimeout(60)
    while True:
        try:
            c, _ = s.accept()
        except socket.timeout:
            return
        threading.Thread(target=serve, args=(c, log), daemon=True).start()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
