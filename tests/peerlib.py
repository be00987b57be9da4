"""What the test peers (tests/*-peer.py) share: a listener on a free
loopback port, whose number goes to a file once it listens.

The file appears whole (written beside it, then renamed), so a test that
waits for it never reads a half-written number.
"""
import os
import socket


def publish_port(sock, portfile):
    """Write sock's port to portfile, atomically."""
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % sock.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)


def listen(portfile, backlog=16, addr="127.0.0.1"):
    """A TCP listener on addr, port 0; its port published in portfile."""
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    s.bind((addr, 0))
    s.listen(backlog)
    publish_port(s, portfile)
    return s
