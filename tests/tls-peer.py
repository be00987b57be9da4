#!/usr/bin/env python3
"""tls-peer.py: small misbehaving servers for the https tests.

usage: tls-peer.py MODE PORTFILE [CERT KEY]

  truncate  TLS (CERT, KEY): read the request, answer 200 with a body
            delimited by the close, then drop the TCP connection without
            sending close_notify, as a cut connection looks.
  plain     answer the ClientHello with plain HTTP bytes (no TLS at all).

Listens on a free loopback port (written to PORTFILE once listening),
serves one connection and exits; gives up after 20 s.
"""
import socket
import ssl
import sys

import peerlib


def main():
    mode, portfile = sys.argv[1], sys.argv[2]
    lst = peerlib.listen(portfile, 1)
    lst.settimeout(20)
    conn, _ = lst.accept()
    conn.settimeout(20)
    if mode == "plain":
        conn.recv(4096)
        conn.sendall(b"HTTP/1.0 200 OK\r\n\r\nnot TLS\n")
        conn.close()
        return
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    tls = ctx.wrap_socket(conn, server_side=True)
    req = b""
    while b"\r\n\r\n" not in req:
        chunk = tls.recv(4096)
        if not chunk:
            return
        req += chunk
    tls.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
                b"the first part of a body that goes on")
    # No unwrap(): the TCP connection ends with no close_notify.
    conn.shutdown(socket.SHUT_RDWR)
    conn.close()


main()
