#!/usr/bin/env python3
"""A link that drops every connection, for the http-get -C - tests.

  range-peer.py BODY PORTFILE N

Listens on 127.0.0.1 (port 0; the port goes to PORTFILE once listening)
and serves the bytes of the file BODY to every GET, one connection at a
time: 200 with the whole Content-Length, or, for "Range: bytes=FIRST-",
206 with "Content-Range: bytes FIRST-LAST/SIZE" (416 "bytes */SIZE" when
FIRST is at or past the end).  Whatever the response promises, at most N
body bytes go out before the server closes the connection, as a link
that drops after N bytes would.  Exits after 60 s, so a test that
forgets it cannot leave it running.
"""
import re
import socket
import sys
import time

import peerlib


def request_head(c):
    """The request head, read to its blank line (bounded), or None."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = c.recv(4096)
        if not chunk:
            return None
        data += chunk
    return data.decode("latin-1")


def respond(c, head, body, per_conn):
    size = len(body)
    m = re.search(r"^Range: *bytes=(\d+)-\r$", head, re.I | re.M)
    first = int(m.group(1)) if m else 0
    if m and first >= size:
        c.sendall(b"HTTP/1.1 416 Range Not Satisfiable\r\n"
                  b"Content-Range: bytes */%d\r\nContent-Length: 0\r\n"
                  b"\r\n" % size)
        return
    if m:
        c.sendall(b"HTTP/1.1 206 Partial Content\r\n"
                  b"Content-Range: bytes %d-%d/%d\r\n"
                  b"Content-Length: %d\r\n\r\n"
                  % (first, size - 1, size, size - first))
    else:
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
    c.sendall(body[first:first + per_conn])


def main():
    body_path, portfile, per_conn = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(body_path, "rb") as f:
        body = f.read()
    s = peerlib.listen(portfile, 5)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            c, _ = s.accept()
        except socket.timeout:
            break
        c.settimeout(10)
        try:
            head = request_head(c)
            if head is not None:
                respond(c, head, body, per_conn)
            # An orderly close (FIN), so the client reads every byte
            # sent; then wait (bounded) for its close.
            c.shutdown(socket.SHUT_WR)
            while c.recv(4096):
                pass
        except OSError:
            pass
        finally:
            c.close()


if __name__ == "__main__":
    main()
