"""The asyncore library-docs echo server (example 6), for bench/echo.sh.

Differences from the docs, each needed to benchmark it: it binds port 0
and writes the chosen port to PORT_FILE, takes the listen backlog as an
argument (the docs' 5 would make clients wait for SYN retries), and runs
asyncore.loop(use_poll=True), since select() cannot watch more than 1024
descriptors and the idle test holds 10,000.

usage: python3.11 asyncore_echo.py PORT_FILE [BACKLOG]
"""
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)
import asyncore  # noqa: E402


class EchoHandler(asyncore.dispatcher_with_send):

    def handle_read(self):
        data = self.recv(8192)
        if data:
            self.send(data)


class EchoServer(asyncore.dispatcher):

    def __init__(self, host, port, backlog):
        asyncore.dispatcher.__init__(self)
        self.create_socket()
        self.set_reuse_addr()
        self.bind((host, port))
        self.listen(backlog)

    def handle_accepted(self, sock, addr):
        print('Incoming connection from %s' % repr(addr))
        EchoHandler(sock)


server = EchoServer('127.0.0.1', 0, int(sys.argv[2]) if len(sys.argv) > 2 else 5)
with open(sys.argv[1], 'w') as f:
    f.write('%d\n' % server.socket.getsockname()[1])
asyncore.loop(use_poll=True)
