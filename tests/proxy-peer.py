#!/usr/bin/env python3
"""A small proxy that stalls, for tests/proxy-failpaths.bats: it accepts
one client, reads its request and answers part of its reply.  Loopback
only; every wait is bounded.

  http PORTFILE     read a CONNECT head, send "HTTP/1.1 200" (half a status
                    line), hold the line (30 s)
  socks5 PORTFILE   answer the greeting (no authentication), read the
                    request, send 3 of the reply's 10 bytes, hold (30 s)
  http-open PORTFILE
                    read a CONNECT head, answer the whole "200", then say
                    nothing: a TLS client's handshake stalls in the tunnel
  http-reset PORTFILE, socks5-reset PORTFILE, http-open-reset PORTFILE
                    the same, then reset the connection (RST) after 0.3 s

The port goes to PORTFILE, written whole (a rename).
"""
import socket
import struct
import sys
import time

import peerlib


def listener(portfile):
    return peerlib.listen(portfile, 5)


def read_until(c, pred, limit=65536):
    data = b""
    while not pred(data) and len(data) < limit:
        b = c.recv(4096)
        if not b:
            break
        data += b
    return data


def main():
    mode, portfile = sys.argv[1], sys.argv[2]
    s = listener(portfile)
    s.settimeout(30)
    c, _ = s.accept()
    c.settimeout(30)
    if mode.startswith("http-open"):
        read_until(c, lambda d: b"\r\n\r\n" in d)
        c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    elif mode.startswith("http"):
        read_until(c, lambda d: b"\r\n\r\n" in d)
        c.sendall(b"HTTP/1.1 200")
    else:
        head = read_until(c, lambda d: len(d) >= 2 and len(d) >= 2 + d[1])
        if len(head) < 2:
            return 1
        c.sendall(b"\x05\x00")
        read_until(c, lambda d: len(d) >= 5)
        c.sendall(b"\x05\x00\x00")
    if mode.endswith("-reset"):
        time.sleep(0.3)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        c.close()
        return 0
    # Hold until the client goes (or 30 s), taking and dropping whatever
    # it sends (a TLS client's ClientHello).
    try:
        while c.recv(4096):
            pass
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
