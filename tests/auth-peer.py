#!/usr/bin/env python3
"""auth-peer.py: a small HTTP/1.1 server for the authentication and
cookie tests of http-get.  It records every request head it reads
(prefixed with "#conn N", the connection's number) in the log file, so a
test can compare the exact bytes two clients sent, and can tell whether
two requests came on one connection.  Keep-alive, Content-Length always.

  /digest/ALGO[/stale|/int]  Digest (ALGO: MD5, SHA-256, MD5-sess);
        the user "Mufasa", password "Circle of Life".  401 with a
        challenge until a correct Authorization comes; with /stale, the
        first correct one gets 401 stale=true and a fresh nonce; with
        /int, the challenge offers qop="auth-int" alone.
A request's body (Content-Length or chunked; Expect: 100-continue gets
its 100 first) is read and logged after its head as "#body BYTES\n".
  /set  302 to /check with Set-Cookie: a=1 (and a Path=/check one);
        /check answers 200 with the Cookie header it got.
  /away 302 to the URL given with -r.
  anything else: 200, "ok\\n".

usage: auth-peer.py -p PORTFILE -l LOG [-a ADDR] [-r URL] [-t SECS]
It exits after SECS seconds (default 20), so a test cannot leave it
running.
"""
import argparse
import hashlib
import re
import socket
import threading
import time

import peerlib

USER, PASSWORD, REALM = "Mufasa", "Circle of Life", "acore@test"
HASH = {"MD5": "md5", "SHA-256": "sha256", "MD5-SESS": "md5",
        "SHA-256-SESS": "sha256"}


def h(algo, s):
    return hashlib.new(HASH[algo.upper()], s.encode()).hexdigest()


def params(v):
    return {m.group(1).lower(): m.group(2) if m.group(2) is not None
            else m.group(3)
            for m in re.finditer(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))',
                                 v)}


class Peer:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.conns = 0
        self.nonces = 0
        self.stale_sent = set()

    def log(self, conn, head):
        with self.lock:
            with open(self.args.l, "ab") as f:
                f.write(b"#conn %d\n" % conn + head)

    def nonce(self):
        with self.lock:
            self.nonces += 1
            return "nonce%d" % self.nonces

    def digest_ok(self, method, algo, auth, body):
        if not auth.startswith("Digest "):
            return None
        p = params(auth[7:])
        need = ("username", "realm", "nonce", "uri", "response")
        if any(k not in p for k in need) or p["username"] != USER:
            return None
        ha1 = h(algo, "%s:%s:%s" % (USER, REALM, PASSWORD))
        if algo.upper().endswith("-SESS"):
            ha1 = h(algo, "%s:%s:%s" % (ha1, p["nonce"], p["cnonce"]))
        ha2 = "%s:%s" % (method, p["uri"])
        if p.get("qop") == "auth-int":
            ha2 += ":" + hashlib.new(HASH[algo.upper()], body).hexdigest()
        ha2 = h(algo, ha2)
        want = h(algo, "%s:%s:%s:%s:%s:%s" % (ha1, p["nonce"], p["nc"],
                 p["cnonce"], p["qop"], ha2))
        return p["nonce"] if want == p["response"] else None

    def answer(self, method, path, fields, body):
        auth = fields.get("authorization", "")
        m = re.match(r"/digest/([A-Za-z0-9-]+)(/stale|/int)?$", path)
        if m:
            algo = m.group(1)
            nonce = self.digest_ok(method, algo, auth, body)
            # one stale=true per run, for the first correct answer
            stale = m.group(2) == "/stale" and nonce is not None and \
                not self.stale_sent
            if nonce is not None and not stale:
                return 200, [], b"authenticated\n"
            if stale:
                self.stale_sent.add(nonce)
            ch = ('Digest realm="%s", qop="%s", algorithm=%s, '
                  'nonce="%s", opaque="op4que"%s' %
                  (REALM, "auth-int" if m.group(2) == "/int" else "auth",
                   algo, self.nonce(), ", stale=true" if stale else ""))
            return 401, [("WWW-Authenticate", ch)], b"who are you?\n"
        if path == "/set":
            return 302, [("Location", "/check"),
                         ("Set-Cookie", "a=1"),
                         ("Set-Cookie", "b=2; Path=/check; HttpOnly"),
                         ("Set-Cookie", "c=3; Domain=example.com")], b""
        if path == "/check":
            return 200, [], ("cookie: %s\n" %
                             fields.get("cookie", "")).encode()
        if path == "/away":
            return 302, [("Location", self.args.r)], b""
        return 200, [], b"ok\n"

    @staticmethod
    def more(c, buf, n):
        """buf with at least n bytes, or None at the end."""
        while len(buf) < n:
            d = c.recv(65536)
            if not d:
                return None
            buf += d
        return buf

    def body(self, c, fields, buf):
        """(the request body, the bytes after it); (None, b"") at EOF."""
        if fields.get("transfer-encoding", "").lower() == "chunked":
            out = b""
            while True:
                while b"\r\n" not in buf:
                    buf = self.more(c, buf, len(buf) + 1)
                    if buf is None:
                        return None, b""
                line, buf = buf.split(b"\r\n", 1)
                n = int(line.split(b";")[0], 16)
                buf = self.more(c, buf, n + 2)
                if buf is None:
                    return None, b""
                out, buf = out + buf[:n], buf[n + 2:]
                if n == 0:
                    return out, buf
        n = int(fields.get("content-length", "0"))
        buf = self.more(c, buf, n)
        if buf is None:
            return None, b""
        return buf[:n], buf[n:]

    def serve(self, c):
        with self.lock:
            self.conns += 1
            conn = self.conns
        buf = b""
        c.settimeout(self.args.t)
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    d = c.recv(65536)
                    if not d:
                        return
                    buf += d
                head, buf = buf.split(b"\r\n\r\n", 1)
                head += b"\r\n\r\n"
                lines = head.decode("latin-1").split("\r\n")
                method, path = lines[0].split(" ")[:2]
                fields = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        fields[k.strip().lower()] = v.strip()
                if fields.get("expect", "").lower() == "100-continue":
                    c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                rbody, buf = self.body(c, fields, buf)
                if rbody is None:
                    return
                self.log(conn, head + (b"#body " + rbody + b"\n" if
                                       rbody else b""))
                status, extra, body = self.answer(method, path, fields,
                                                  rbody)
                out = "HTTP/1.1 %d X\r\n" % status
                for k, v in extra:
                    out += "%s: %s\r\n" % (k, v)
                out += "Content-Length: %d\r\n\r\n" % len(body)
                c.sendall(out.encode() + (b"" if method == "HEAD" else
                                          body))
                if fields.get("connection", "").lower() == "close":
                    return
        except OSError:
            pass
        finally:
            c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-p", required=True)
    ap.add_argument("-l", required=True)
    ap.add_argument("-a", default="127.0.0.1")
    ap.add_argument("-r", default="http://127.0.0.2/")
    ap.add_argument("-t", type=float, default=20)
    args = ap.parse_args()
    s = peerlib.listen(args.p, addr=args.a)
    peer = Peer(args)
    end = time.monotonic() + args.t
    while time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            c, _ = s.accept()
        except socket.timeout:
            break
        threading.Thread(target=peer.serve, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
