#!/usr/bin/env python3
"""Normalise a `NAME: message` debug transcript for comparison, per logger.

usage: transcript.py [--loose] FILE

Splits FILE into records (a record starts with a logger name and ': ' and
runs until the next such line, so raw payloads with newlines stay whole),
then prints each logger's records in their own order, loggers sorted by
name.  The only things normalised are the ones the examples allow to
differ: port numbers inside address tuples, and runs of identical polling
records (`writable() -> X`, `readable() -> X`) that follow each other within
one logger, which become one.

--loose also allows for two processes talking over a real socket, where
read sizes and the order of a logger's reads against its writes depend on
timing: polling records are dropped, every `handle_read() -> (N) "..."`
with N > 0 is replaced by one record holding all the bytes read, after the
logger's other records, and write records keep their sizes but are moved
after the rest, in their own order.
"""
import re
import sys

START = re.compile(r"^([A-Z]\w*(?:\([^)]*\))?|root): ")
PORT = re.compile(r"(\('[^']*', )\d+")
POLL = re.compile(r"^(writable|readable)\(\) -> (True|False)$")
IO = re.compile(r'^(handle_read|handle_write)\(\) -> \((\d+)\) "(.*)"$', re.S)


def records(text):
    cur = None
    for line in text.split("\n"):
        if line.startswith("$ ") and cur is None:
            continue            # the command line heading a transcript
        m = START.match(line)
        if m:
            if cur is not None:
                yield cur
            cur = [PORT.sub(r"\1PORT", m.group(1)), line[m.end():]]
        elif cur is not None:
            cur[1] += "\n" + line
    if cur is not None:
        cur[1] = cur[1].rstrip("\n")
        yield cur


def main():
    loose = "--loose" in sys.argv[1:]
    path = [a for a in sys.argv[1:] if a != "--loose"][0]
    with open(path, encoding="latin-1") as f:
        text = f.read()
    by = {}
    for name, msg in records(text):
        by.setdefault(name, []).append(PORT.sub(r"\1PORT", msg))
    for name in sorted(by):
        out, reads, writes = [], [], []
        for msg in by[name]:
            poll = POLL.match(msg)
            io = IO.match(msg)
            if loose and poll:
                continue
            if poll and out and out[-1] == msg:
                continue
            if loose and io and io.group(1) == "handle_read" and io.group(2) != "0":
                reads.append(io.group(3))
            elif loose and io and io.group(1) == "handle_write":
                writes.append(msg)
            else:
                out.append(msg)
        if loose:
            data = "".join(reads)
            out.append('reads: (%d) "%s"' % (len(data), data))
            out.extend(writes)
        print("== " + name)
        for msg in out:
            print(msg)


main()
