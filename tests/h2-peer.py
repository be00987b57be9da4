#!/usr/bin/env python3
"""A misbehaving HTTP/2 server (prior knowledge, h2c), for tests/http-h2.bats.

  h2-peer.py PORTFILE LOGFILE MODE

Listens on 127.0.0.1 (port 0; the port goes to PORTFILE once listening),
speaks HTTP/2 from raw frames (no library, so it can break the rules),
and answers every GET with 200 and the body "conn C stream S\\n".  It
logs "connection C" for each connection and "conn C stream S" for each
request (HEADERS frame) to LOGFILE.  MODE says what goes wrong:

  goaway    each connection answers its first two streams, then sends
            GOAWAY last_stream=(the second) NO_ERROR and closes once the
            client does
  rst       RST_STREAM INTERNAL_ERROR on stream 3 instead of a response
  window    SETTINGS_INITIAL_WINDOW_SIZE 0 and every body DATA frame
            held back until a WINDOW_UPDATE it sends 1 s later
  bigheaders  the response head has 100 fields of 1 KiB (over 64 KiB)
  flood     200000 empty SETTINGS frames, reading nothing
  flaky     the first request of all gets 503 with Retry-After: 0
  stall     every response is a head (content-length 1000000) and 1000
            bytes of its body, then nothing more, though it still reads
  cut       as stall, then 0.5 s after the first request the connection
            ends (FIN) with every stream still open
  reset     as cut, but a TCP reset (SO_LINGER 0)

Exits after 60 s, so a test that forgets it cannot leave it running.
"""
import select
import socket
import struct
import sys
import threading
import time

import peerlib

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST, SETTINGS, PING, GOAWAY, WINDOW = 0, 1, 3, 4, 6, 7, 8
END_STREAM, END_HEADERS, ACK = 1, 4, 1

lock = threading.Lock()
conns = 0
requests = 0


def log(path, line):
    with lock, open(path, "a") as f:
        f.write(line + "\n")


def frame(ftype, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", sid) + payload


def hpack_int(n, prefix_bits, first=0):
    """An HPACK integer with a prefix_bits prefix (RFC 7541 5.1)."""
    limit = (1 << prefix_bits) - 1
    if n < limit:
        return bytes([first | n])
    out = [first | limit]
    n -= limit
    while n >= 128:
        out.append(n % 128 + 128)
        n //= 128
    out.append(n)
    return bytes(out)


def literal(name, value):
    """Literal header field without indexing, new name, no Huffman."""
    return b"\x00" + hpack_int(len(name), 7) + name + \
        hpack_int(len(value), 7) + value


def read_frame(c, buf):
    """The next frame (type, flags, sid, payload) and the rest, or None."""
    while len(buf) < 9 or len(buf) < 9 + int.from_bytes(buf[:3], "big"):
        chunk = c.recv(65536)
        if not chunk:
            return None, buf
        buf += chunk
    n = int.from_bytes(buf[:3], "big")
    f = (buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7fffffff,
         buf[9:9 + n])
    return f, buf[9 + n:]


def response(cid, sid, mode):
    global requests
    body = b"conn %d stream %d\n" % (cid, sid)
    status = b"\x88"
    with lock:
        requests += 1
        if mode == "flaky" and requests == 1:
            body = b"busy\n"
            status = literal(b":status", b"503") + \
                literal(b"retry-after", b"0")
    block = status + literal(b"content-length", str(len(body)).encode())
    if mode == "bigheaders":
        for i in range(100):
            block += literal(b"x-big-%d" % i, b"v" * 1024)
    out = b""
    first = True
    while block or first:
        part, block = block[:16384], block[16384:]
        out += frame(HEADERS if first else 9, 0 if block else END_HEADERS,
                     sid, part)
        first = False
    return out, frame(DATA, END_STREAM, sid, body)


def serve(c, cid, path, mode):
    c.settimeout(20)
    buf = b""
    while len(buf) < len(PREFACE):
        chunk = c.recv(4096)
        if not chunk:
            return
        buf += chunk
    if buf[:len(PREFACE)] != PREFACE:
        return
    buf = buf[len(PREFACE):]
    if mode == "flood":
        c.sendall(frame(SETTINGS, 0, 0) * 200000)
        time.sleep(5)
        return
    settings = b""
    if mode == "window":
        settings = struct.pack(">HI", 4, 0)
    c.sendall(frame(SETTINGS, 0, 0, settings))
    answered = 0
    held = []
    end_at = None
    while True:
        # cut, reset: the end comes 0.5 s after the first request.
        if end_at is not None and not select.select(
                [c], [], [], max(0, end_at - time.time()))[0]:
            if mode == "reset":
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
            return
        f, buf = read_frame(c, buf)
        if f is None:
            return
        ftype, flags, sid, payload = f
        if ftype == SETTINGS and not flags & ACK:
            c.sendall(frame(SETTINGS, ACK, 0))
        elif ftype == PING and not flags & ACK:
            c.sendall(frame(PING, ACK, 0, payload))
        elif ftype == GOAWAY:
            return
        elif ftype == HEADERS:
            log(path, "conn %d stream %d" % (cid, sid))
            if mode == "goaway" and answered >= 2:
                continue
            if mode == "rst" and sid == 3:
                c.sendall(frame(RST, 0, sid, struct.pack(">I", 2)))
                continue
            if mode in ("stall", "cut", "reset"):
                c.sendall(frame(HEADERS, END_HEADERS, sid, b"\x88" +
                                literal(b"content-length", b"1000000")) +
                          frame(DATA, 0, sid, b"x" * 1000))
                if mode != "stall" and end_at is None:
                    end_at = time.time() + 0.5
                continue
            head, data = response(cid, sid, mode)
            if mode == "window":
                c.sendall(head)
                held.append(data)
                threading.Timer(1.0, lambda: c.sendall(
                    frame(WINDOW, 0, 0, struct.pack(">I", 1 << 20)) +
                    b"".join(held))).start()
                continue
            c.sendall(head + data)
            answered += 1
            if mode == "goaway" and answered == 2:
                c.sendall(frame(GOAWAY, 0, 0, struct.pack(">II", sid, 0)))


def handle(c, path, mode):
    global conns
    with lock:
        conns += 1
        cid = conns
    log(path, "connection %d" % cid)
    try:
        serve(c, cid, path, mode)
    except OSError:
        pass
    finally:
        c.close()


def main():
    portfile, path, mode = sys.argv[1:4]
    s = peerlib.listen(portfile)
    s.settimeout(1)
    end = time.time() + 60
    while time.time() < end:
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        threading.Thread(target=handle, args=(c, path, mode),
                         daemon=True).start()


if __name__ == "__main__":
    main()
