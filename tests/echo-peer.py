#!/usr/bin/env python3
"""Small real peers for tests/echo.bats: servers that misbehave for
echo-client, clients that misbehave for echo-server.  Loopback only; every
wait is bounded.

Servers (listen on 127.0.0.1, port 0; the port goes to PORTFILE):
  server reset PORTFILE      echo the first 1000 bytes, then reset (RST)
  server garble PORTFILE     read until a 0.5 s pause, echo it all with byte
                             100 flipped, close
  server short PORTFILE      read until a pause, echo the first half, close
  server silent PORTFILE     read until a pause, never answer, hold the line
  server blackhole PORTFILE  listen(0) with a full queue: connects hang
  server echohold PORTFILE   echo everything until the client's end of
                             input, then hold the line open (20 s)
  server shorthold PORTFILE  read until the client's end of input, echo
                             the first 3 bytes, hold the line open (20 s)
  server drop PORTFILE       accept, read what comes for 0.2 s, close
  server hello6 PORTFILE     accept, answer a ClientHello with the first 6
                             bytes of a ServerHello, hold the line (30 s)

UDP servers (127.0.0.1, port 0 to PORTFILE; they serve for 20 s):
  udp dup PORTFILE           echo every datagram twice
  udp drop PORTFILE          drop the first copy of every datagram, echo
                             the copies sent again
  udp garble PORTFILE        echo, but the second datagram with its first
                             byte flipped

Clients of an echo server at 127.0.0.1:PORT (or a Unix socket PATH):
  halfclose PORT SIZE        send SIZE random bytes, shut down the write
                             side, read only after 1 s; expect every byte
  noread PORT                send until the server stops taking data (or
                             256 MiB, or 15 s), never read; print "sent N",
                             then hold the line
  idle PORT SECS             connect, stay silent; print how long until the
                             server closes ("closed after S"), or "open"
  maxconns PORT N            N clients echo; one more is refused; after one
                             leaves, a new one is served
  hold PORT                  connect, print "connected", wait for the
                             server to close (up to 20 s), print "eof"
  stall PORT N SECS          N connections send the first 11 bytes of a
                             TLS ClientHello, then nothing; after SECS,
                             print how many the server closed ("closed K")
"""
import os
import socket
import struct
import sys
import threading
import time

import peerlib


def listener(portfile, backlog=5):
    return peerlib.listen(portfile, backlog)


def read_all(c, limit=64 << 20, quiet=None):
    """Read to EOF, or (quiet) until the client pauses that long."""
    data = b""
    c.settimeout(20)
    while len(data) < limit:
        try:
            b = c.recv(65536)
        except socket.timeout:
            if quiet is None:
                raise
            break
        if not b:
            break
        data += b
        if quiet is not None:
            c.settimeout(quiet)
    return data


def server(mode, portfile):
    if mode == "blackhole":
        s = listener(portfile, 0)
        filler = socket.create_connection(s.getsockname())
        time.sleep(30)
        filler.close()
        return
    s = listener(portfile)
    s.settimeout(20)
    c, _ = s.accept()
    if mode == "reset":
        c.settimeout(20)
        got = b""
        while len(got) < 1000:
            b = c.recv(1000 - len(got))
            if not b:
                break
            got += b
        c.sendall(got)
        time.sleep(0.2)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        c.close()
        return
    if mode == "drop":
        c.settimeout(0.2)
        try:
            c.recv(65536)
        except socket.timeout:
            pass
        c.close()
        return
    if mode == "hello6":
        c.settimeout(20)
        c.recv(65536)
        c.sendall(bytes.fromhex("160303007a02"))
        time.sleep(30)
        c.close()
        return
    if mode in ("echohold", "shorthold"):
        data = read_all(c)
        c.sendall(data if mode == "echohold" else data[:3])
        time.sleep(20)
        c.close()
        return
    # Until echo-client's end of input, or a pause.
    data = read_all(c, quiet=0.5)
    if mode == "garble":
        i = min(100, len(data) - 1)
        data = data[:i] + bytes([data[i] ^ 0xff]) + data[i + 1:]
        c.sendall(data)
    elif mode == "short":
        c.sendall(data[:len(data) // 2])
    elif mode == "silent":
        time.sleep(30)
    c.close()


def udp(mode, portfile):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    peerlib.publish_port(s, portfile)
    end = time.time() + 20
    seen, n = set(), 0
    while time.time() < end:
        s.settimeout(max(end - time.time(), 0.01))
        try:
            d, peer = s.recvfrom(65536)
        except socket.timeout:
            break
        n += 1
        if mode == "dup":
            s.sendto(d, peer)
            s.sendto(d, peer)
        elif mode == "drop":
            if d not in seen:
                seen.add(d)
                continue
            s.sendto(d, peer)
        elif mode == "garble":
            if n == 2:
                d = bytes([d[0] ^ 0xff]) + d[1:]
            s.sendto(d, peer)


def connect(where):
    if where.isdigit():
        return socket.create_connection(("127.0.0.1", int(where)), 5)
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(where)
    return s


def halfclose(where, size):
    data = os.urandom(size)
    c = connect(where)
    c.settimeout(20)
    got = []

    def reader():
        time.sleep(1)
        got.append(read_all(c, size + 1))

    t = threading.Thread(target=reader)
    t.start()
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    t.join(30)
    if not got or got[0] != data:
        n = len(got[0]) if got else -1
        sys.exit("halfclose: got %d of %d bytes back%s" %
                 (n, size, "" if n != size else ", differing"))
    print("ok %d" % size)


def noread(where):
    c = connect(where)
    c.setblocking(False)
    block = b"x" * 65536
    sent, idle_since, start = 0, time.time(), time.time()
    # A server that never stops reading would take this forever: cap it.
    while time.time() - idle_since < 1.0 and sent < (256 << 20) \
            and time.time() - start < 15:
        try:
            sent += c.send(block)
            idle_since = time.time()
        except BlockingIOError:
            time.sleep(0.01)
    print("sent %d" % sent, flush=True)
    time.sleep(20)


def idle(where, secs):
    c = connect(where)
    c.settimeout(secs)
    t = time.time()
    try:
        b = c.recv(1)
        print("closed after %.1f" % (time.time() - t) if not b else "data")
    except socket.timeout:
        print("open")


def echoes(c):
    c.settimeout(5)
    c.sendall(b"ping")
    return c.recv(16) == b"ping"


def refused(c):
    c.settimeout(3)
    try:
        c.sendall(b"ping")
        return c.recv(16) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


def maxconns(where, n):
    conns = [connect(where) for _ in range(n)]
    if not all(echoes(c) for c in conns):
        sys.exit("maxconns: the first %d clients were not all served" % n)
    extra = connect(where)
    if not refused(extra):
        sys.exit("maxconns: client %d was served" % (n + 1))
    conns.pop().close()
    time.sleep(0.3)     # let the server see the close
    if not echoes(connect(where)):
        sys.exit("maxconns: a client after one left was not served")
    print("ok")


def hold(where):
    c = connect(where)
    print("connected", flush=True)
    c.settimeout(20)
    print("eof" if c.recv(1) == b"" else "data", flush=True)


def stall(where, n, secs):
    hello = bytes.fromhex("1603010200010001fc0303")
    conns = []
    for _ in range(n):
        c = connect(where)
        c.sendall(hello)
        conns.append(c)
    end = time.monotonic() + secs
    closed = set()
    while time.monotonic() < end and len(closed) < n:
        for i, c in enumerate(conns):
            if i in closed:
                continue
            c.settimeout(0.01)
            try:
                if c.recv(4096) == b"":
                    closed.add(i)
            except socket.timeout:
                pass
            except OSError:
                closed.add(i)
    print("closed %d" % len(closed), flush=True)
    for c in conns:
        c.close()


def main(a):
    if a[0] == "server":
        server(a[1], a[2])
    elif a[0] == "udp":
        udp(a[1], a[2])
    elif a[0] == "halfclose":
        halfclose(a[1], int(a[2]))
    elif a[0] == "noread":
        noread(a[1])
    elif a[0] == "idle":
        idle(a[1], float(a[2]))
    elif a[0] == "maxconns":
        maxconns(a[1], int(a[2]))
    elif a[0] == "hold":
        hold(a[1])
    elif a[0] == "stall":
        stall(a[1], int(a[2]), float(a[3]))
    else:
        sys.exit(__doc__)


main(sys.argv[1:])
