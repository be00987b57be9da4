#!/usr/bin/env python3
"""A server that records every request's bytes, for the request-body tests.

  body-peer.py PORTFILE LOG

Listens on 127.0.0.1 (port 0; the port goes to PORTFILE once listening)
and appends each request, head and body exactly as received (chunk
framing included), to LOG.  After each request's body a line
"== waited SECS ==\\n" goes to LOG.waits: the time from the end of the
head to the first body byte (0 with no body), so a test can check that a
client waited for a 100 Continue that never came.

What it answers depends on the path:
  /r301 /r302 /r303 /r307 /r308   that status, Location: /echo
  /nocontinue   ignores Expect: 100-continue (the client must go on alone)
  /expect417    417 to a request with Expect, without reading its body,
                then the usual 200 to one without
  /deny         413 at once, the body unread, and the connection closed
  /flaky        503 to its first request, 200 to the next, and so on
  anything else 100 Continue when asked, then 200 "ok"
Connections are served in threads, each as many requests as the client
sends.  Exits after 60 s, so a test that forgets it cannot leave it running.
"""
import re
import socket
import sys
import threading
import time

import peerlib

lock = threading.Lock()
flaky = [0]


def read_head(c, buf):
    while b"\r\n\r\n" not in buf:
        if len(buf) > 65536:
            return None, b""
        chunk = c.recv(65536)
        if not chunk:
            return None, b""
        buf += chunk
    i = buf.index(b"\r\n\r\n") + 4
    return buf[:i], buf[i:]


class Reader:
    """Reads from the connection, keeping every byte read for the log."""

    def __init__(self, c, buf):
        self.c, self.buf, self.raw, self.first = c, buf, b"", None

    def more(self):
        chunk = self.c.recv(1 << 20)
        if not chunk:
            raise EOFError
        if self.first is None:
            self.first = time.monotonic()
        self.buf += chunk

    def take(self, n):
        while len(self.buf) < n:
            self.more()
        out, self.buf = self.buf[:n], self.buf[n:]
        self.raw += out
        return out

    def line(self):
        while b"\r\n" not in self.buf:
            self.more()
        i = self.buf.index(b"\r\n") + 2
        return self.take(i)


def read_body(r, head):
    if re.search(rb"^transfer-encoding:.*chunked", head, re.I | re.M):
        while True:
            size = int(r.line().split(b";")[0], 16)
            if size == 0:
                while r.line() != b"\r\n":
                    pass
                return
            r.take(size + 2)
    m = re.search(rb"^content-length: *(\d+)", head, re.I | re.M)
    if m:
        r.take(int(m.group(1)))


def answer(status, extra=b"", body=b"ok\n"):
    return b"HTTP/1.1 %d X\r\n%sContent-Length: %d\r\n\r\n%s" % (
        status, extra, len(body), body)


def serve(c, log):
    buf = b""
    seen417 = False
    try:
        while True:
            head, buf = read_head(c, buf)
            if head is None:
                return
            end = time.monotonic()
            path = head.split(b" ")[1].split(b"?")[0]
            expect = re.search(rb"^expect: *100-continue", head, re.I | re.M)
            if path == b"/deny" or (path == b"/expect417" and expect):
                with lock:
                    open(log, "ab").write(head)
                status = 413 if path == b"/deny" else 417
                c.sendall(answer(status, b"Connection: close\r\n"))
                return
            if expect and path != b"/nocontinue":
                c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            r = Reader(c, buf)
            read_body(r, head)
            buf = r.buf
            waited = r.first - end if r.first is not None and r.raw else 0
            with lock:
                open(log, "ab").write(head + r.raw)
                open(log + ".waits", "a").write("== waited %.1f ==\n" %
                                                waited)
            m = re.match(rb"/r(30[12378])$", path)
            if path == b"/flaky":
                with lock:
                    flaky[0] += 1
                    odd = flaky[0] % 2
                c.sendall(answer(503 if odd else 200))
            elif m:
                c.sendall(answer(int(m.group(1)), b"Location: /echo\r\n"))
            else:
                c.sendall(answer(200))
    except (EOFError, OSError, ValueError):
        return
    finally:
        c.close()


def main():
    portfile, log = sys.argv[1], sys.argv[2]
    s = peerlib.listen(portfile)
    deadline = time.monotonic() + 60
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        s.settimeout(left)
        try:
            c, _ = s.accept()
        except socket.timeout:
            return
        c.settimeout(20)
        threading.Thread(target=serve, args=(c, log), daemon=True).start()


if __name__ == "__main__":
    main()
