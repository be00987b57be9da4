#!/usr/bin/env python3
"""Run a command on a pseudo-terminal and answer one prompt there.

  pty-answer.py PROMPT ANSWER CMD [ARG...]

Runs CMD with the pty as its controlling terminal and its stdin, stdout
and stderr, types ANSWER and a newline once PROMPT has appeared, and
prints what the terminal showed (carriage returns dropped, as a Python
bytes literal, so an echo of ANSWER would show) and CMD's exit status.
Bounded: after 30 s without an end the command is killed, and fails.
"""
import os
import pty
import select
import sys
import time

prompt, answer = sys.argv[1].encode(), sys.argv[2].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[3], sys.argv[3:])
seen, sent, end = b"", False, time.monotonic() + 30
while time.monotonic() < end:
    r, _, _ = select.select([fd], [], [], 1)
    if not r:
        continue
    try:
        d = os.read(fd, 1024)
    except OSError:
        break
    if not d:
        break
    seen += d
    if not sent and prompt in seen:
        os.write(fd, answer + b"\n")
        sent = True
for i in range(300):
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.1)
else:
    os.kill(pid, 9)
    _, st = os.waitpid(pid, 0)
print(repr(seen.replace(b"\r", b"")), os.waitstatus_to_exitcode(st))
